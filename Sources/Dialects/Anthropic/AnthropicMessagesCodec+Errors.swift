import Foundation
import SSE

/// Anthropic error shapes, both ways: `{"type":"error","error":{"type":…,"message":…},"request_id":…}`
/// bodies and `event: error` events.
extension AnthropicMessagesCodec {
    public func classify(status: Int, body: [UInt8]) -> OutcomeError {
        guard let json = try? JSONValue.parse(body) else {
            let kind = Self.kind(type: nil, status: status, message: "")
            return OutcomeError(kind: kind, status: status, message: Self.snippet(of: body) ?? kind.defaultMessage)
        }
        return error(from: json, status: status)
    }

    public func classify(inBand event: SSEEvent) -> OutcomeError? {
        guard let json = try? JSONValue.parse(event.data) else { return nil }
        guard event.type == "error" || json["type"]?.stringValue == "error" else { return nil }
        return error(from: json, status: nil)
    }

    public func status(for kind: ErrorKind) -> Int {
        switch kind {
        // Gateway-side failures: what a proxy in front of the provider answers.
        case .connection, .malformed: return 502
        default: return AnthropicErrorType(kind: kind).status
        }
    }

    public func errorResponse(kind: ErrorKind, message: String?, retryAfter: Int?) -> ProviderErrorResponse {
        let text = message ?? Self.providerMessage(for: kind)
        let requestID = "req_011C" + SynthesisPieces.token(seed: "\(kind.rawValue)|\(text)")
        var body = errorDocument(kind: kind, message: text)
        body["request_id"] = .string(requestID)
        var headers = [HTTPField("content-type", "application/json"), HTTPField("request-id", requestID)]
        if let retryAfter { headers.append(HTTPField("retry-after", String(retryAfter))) }
        if kind.isTransient { headers.append(HTTPField("x-should-retry", "true")) }
        return ProviderErrorResponse(status: status(for: kind), headers: headers, body: JSONWriter.bytes(body))
    }

    public func inBandErrorEvent(kind: ErrorKind, message: String?) -> SSEEvent {
        let document = errorDocument(kind: kind, message: message ?? Self.providerMessage(for: kind))
        return SSEEvent(type: "error", data: JSONWriter.string(document))
    }

    /// `{"type":"error","error":{"type":…,"message":…}}` for a kind.
    func errorDocument(kind: ErrorKind, message: String) -> JSONValue {
        ["type": "error", "error": ["type": .string(AnthropicErrorType(kind: kind).rawValue), "message": .string(message)]]
    }

    /// Reads a parsed error document; `status` is the HTTP status when there was one.
    func error(from json: JSONValue, status: Int?) -> OutcomeError {
        let type = json["error"]?["type"]?.stringValue
        let message = json["error"]?["message"]?.stringValue ?? ""
        let kind = Self.kind(type: type, status: status, message: message)
        return OutcomeError(kind: kind, status: status, message: message.isEmpty ? kind.defaultMessage : message)
    }

    /// The taxonomy kind for an error type, HTTP status and message, most specific first.
    static func kind(type: String?, status: Int?, message: String) -> ErrorKind {
        let known = type.flatMap(AnthropicErrorType.init(rawValue:))
        if let definite = known?.definiteKind { return definite }
        let effectiveStatus = status ?? known?.status ?? 500
        switch effectiveStatus {
        case 401, 403: return .auth
        case 404: return .notFound
        case 408: return .timeout
        case 429: return .rateLimit
        case 502: return .connection
        case 503, 529: return .overloaded
        case 504: return .timeout
        case 400..<500: return refinedKind(message: message) ?? .badRequest
        default: return .serverError
        }
    }

    /// What a 4xx message says beyond "bad request": the phrases Anthropic uses.
    static func refinedKind(message: String) -> ErrorKind? {
        let text = message.lowercased()
        let prefill = ["assistant message prefill", "must end with a user message"]
        let context = ["prompt is too long", "exceed context limit", "context window", "context length", "maximum context"]
        let policy = ["content filtering policy", "content policy", "usage policy"]
        if prefill.contains(where: text.contains) { return .prefillRejected }
        if context.contains(where: text.contains) { return .contextWindow }
        if policy.contains(where: text.contains) { return .contentPolicy }
        return nil
    }

    /// The message Anthropic itself sends for a kind, used when a fault gives none.
    static func providerMessage(for kind: ErrorKind) -> String {
        switch kind {
        case .rateLimit:
            return "This request would exceed the rate limit for your organization of 50 requests per minute. "
                + "For details, refer to: https://docs.claude.com/en/api/rate-limits. "
                + "You can see the response headers for current usage. Please reduce the prompt length or the maximum "
                + "tokens requested, or try again later."
        case .overloaded: return "Overloaded"
        case .serverError: return "Internal server error"
        case .timeout: return "Request timed out"
        case .contextWindow: return "prompt is too long: 208916 tokens > 200000 maximum"
        case .contentPolicy: return "Output blocked by content filtering policy"
        case .auth: return "invalid x-api-key"
        case .notFound: return "model: claude-does-not-exist"
        case .connection: return "Bad gateway"
        case .badRequest, .prefillRejected, .malformed: return kind.defaultMessage
        }
    }

    /// The start of a non-JSON error body (an HTML page from a proxy, say), as its message.
    static func snippet(of body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
