import Dialects
import SSE

/// A tiny dialect for fault tests: `[DONE]` terminates, errors are `{"error":{"kind":…}}`.
/// Faults only use terminators, statuses, error responses and in-band events; the rest answers
/// with plain defaults.
struct FakeCodec: DialectCodec {
    var dialect: Dialect { .openAIChat }
    var encoder: SSEEncoder { SSEEncoder() }

    func isTerminator(_ event: SSEEvent) -> Bool { event.data == "[DONE]" }

    func status(for kind: ErrorKind) -> Int {
        switch kind {
        case .overloaded: return 529
        case .rateLimit: return 429
        case .prefillRejected, .badRequest, .contextWindow: return 400
        default: return 500
        }
    }

    func errorResponse(kind: ErrorKind, message: String?, retryAfter: Int?) -> ProviderErrorResponse {
        var headers = [HTTPField("content-type", "application/json"), HTTPField("x-fake", "1")]
        if let retryAfter { headers.append(HTTPField("retry-after", String(retryAfter))) }
        return ProviderErrorResponse(status: status(for: kind), headers: headers, body: Self.errorBody(kind))
    }

    func inBandErrorEvent(kind: ErrorKind, message: String?) -> SSEEvent {
        SSEEvent(type: "error", data: String(decoding: Self.errorBody(kind), as: UTF8.self))
    }

    static func errorBody(_ kind: ErrorKind) -> [UInt8] {
        Array(#"{"error":{"kind":"\#(kind.rawValue)"}}"#.utf8)
    }

    func requestView(body: JSONValue, path: String) -> RequestView {
        RequestView(dialect: dialect, endpoint: path, model: nil, stream: false, turns: [])
    }
    func makeAccumulator() -> any StreamAccumulator { NothingAccumulator() }
    func outcome(fromBody body: [UInt8], status: Int?) -> Outcome { Outcome(dialect: dialect) }
    func body(for outcome: Outcome) -> JSONValue { .null }
    func streamEvents(for outcome: Outcome) -> [SSEEvent] { [] }
    func classify(status: Int, body: [UInt8]) -> OutcomeError { OutcomeError(kind: .serverError, status: status, message: "") }
    func classify(inBand event: SSEEvent) -> OutcomeError? { nil }
    func continuationRequest(original: JSONValue, partialText: String, style: ContinuationStyle) -> JSONValue { original }
}

private struct NothingAccumulator: StreamAccumulator {
    mutating func consume(_ event: SSEEvent) {}
    func outcome() -> Outcome { Outcome(dialect: .openAIChat) }
}
