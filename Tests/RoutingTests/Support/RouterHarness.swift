import Dialects
import Foundation
import SSE

@testable import Routing

/// A router over a scripted transport and a manual clock, with helpers to send a request in
/// either mode and read back what the client got, the way the client's SDK would.
struct RouterHarness {
    let clock = ManualRouterClock()
    let transport: ScriptedTransport
    let router: Router

    init(yaml: String, upstreams: [String: ScriptedTransport.Upstream]) throws {
        let config = try RouterConfigLoader.parse(yaml: yaml, file: "test.yaml", environment: [:]).config
        transport = ScriptedTransport(clock: clock, upstreams: upstreams)
        let counter = Counter()
        router = Router(
            config: config, transport: transport, clock: clock, makeRequestID: { "req\(counter.next())" },
            epochSeconds: { 1_750_000_000 })
    }

    /// A request body in a client dialect asking `model` to say hello.
    static func body(dialect: Dialect, model: String, stream: Bool, extra: [String: JSONValue] = [:]) -> [UInt8] {
        var body: [String: JSONValue]
        switch dialect {
        case .openAIChat:
            body = ["model": .string(model), "messages": [["role": "user", "content": "Say hello"]], "stream": .bool(stream)]
            if stream { body["stream_options"] = ["include_usage": true] }
        case .openAIResponses:
            body = ["model": .string(model), "input": "Say hello", "stream": .bool(stream)]
        case .anthropicMessages, .gemini:
            body = ["model": .string(model), "max_tokens": 256, "messages": [["role": "user", "content": "Say hello"]], "stream": .bool(stream)]
        }
        body.merge(extra) { $1 }
        return JSONWriter.bytes(.object(body))
    }

    func send(
        _ dialect: Dialect, model: String, stream: Bool, key: String? = nil, extra: [String: JSONValue] = [:],
        headers: [HTTPField] = []
    ) async -> RouteResult {
        await router.route(ClientRequest(
            dialect: dialect, body: Self.body(dialect: dialect, model: model, stream: stream, extra: extra), apiKey: key,
            headers: headers))
    }

    /// What the client's SDK makes of the answer: the stream folded by the client codec's
    /// accumulator, or the body read by it.
    static func clientOutcome(_ result: RouteResult, dialect: Dialect) -> Outcome {
        let codec = dialect.codec
        if result.header("content-type") == "text/event-stream" {
            return codec.outcome(fromFrames: SSEParser.parse(result.body))
        }
        return codec.outcome(fromBody: result.body, status: result.status)
    }

    /// The attempts the client was told about: the header of a body, the final comment of a stream.
    static func advertisedAttempts(_ result: RouteResult) -> [RouteAttempt]? {
        if let header = result.header(RouteAttempt.headerName) { return try? RouteAttempt.decode(json: header) }
        return RouteAttempt.fromStream(result.body)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

/// Both modes of one scenario, each run on a fresh router so cooldowns and scripts do not leak.
struct ModePair {
    var stream: RouteResult
    var body: RouteResult
    var streamOutcome: Outcome
    var bodyOutcome: Outcome
    var streamRequests: [UpstreamRequest]
    var bodyRequests: [UpstreamRequest]

    static func run(
        _ dialect: Dialect, model: String = "primary", yaml: String, key: String? = nil, extra: [String: JSONValue] = [:],
        upstreams: () -> [String: ScriptedTransport.Upstream]
    ) async throws -> ModePair {
        let streaming = try RouterHarness(yaml: yaml, upstreams: upstreams())
        let plain = try RouterHarness(yaml: yaml, upstreams: upstreams())
        let stream = await streaming.send(dialect, model: model, stream: true, key: key, extra: extra)
        let body = await plain.send(dialect, model: model, stream: false, key: key, extra: extra)
        return ModePair(
            stream: stream, body: body, streamOutcome: RouterHarness.clientOutcome(stream, dialect: dialect),
            bodyOutcome: RouterHarness.clientOutcome(body, dialect: dialect), streamRequests: streaming.transport.requests,
            bodyRequests: plain.transport.requests)
    }
}

/// How many events of a provider's synthesized stream of `answer` come before the `pieces`-th
/// text delta has been delivered: a fault placed there strikes after that much text, whatever the
/// dialect's framing.
func eventsThroughTextPiece(_ pieces: Int, provider: Dialect, text: String = answer) -> Int {
    let codec = provider.codec
    let outcome = Outcome(
        dialect: provider, model: "m", text: text, finishReason: .stop, usage: Usage(inputTokens: 1, outputTokens: 1),
        terminated: true)
    var accumulator = codec.makeAccumulator()
    var seen = 0
    var last = ""
    for (index, event) in codec.streamEvents(for: outcome).enumerated() {
        accumulator.consume(event)
        let current = accumulator.outcome().text
        if current != last {
            seen += 1
            last = current
            if seen == pieces { return index + 1 }
        }
    }
    return 0
}

/// The model an Anthropic client stream reports: `message_start` fixes it before the first content,
/// so after a mid-stream continuation it is the model that sent the first content, not the one that
/// finished (the stream format has no later place for it). Every other dialect reports the last.
func expectedClientModel(_ result: RouteResult, dialect: Dialect) -> String? {
    if dialect == .anthropicMessages, result.header("content-type") == "text/event-stream",
        let first = result.report.attempts.first(where: { $0.bytesForwarded > 0 })
    {
        return first.reportedModel
    }
    return result.report.outcome.model
}
