import Dialects
import Foundation
import SSE

/// The text every scripted provider means to say, long enough to stream in several pieces.
let answer = "Hello there, this is the answer you asked for. It runs a little longer so that it streams in several pieces."

/// A provider's answer on the wire, built by the dialect's own codec: what a deterministic model
/// named `model` says to a request, continuing a partial answer when asked to (prefill, or an
/// assistant turn followed by the continuation instruction), as a well-behaved fallback would.
struct ProviderAnswer {
    var dialect: Dialect
    var model: String
    var text = answer

    /// The outcome this model gives to `request`.
    func outcome(for request: ScriptedUpstreamServer.Received) -> Outcome {
        let view = dialect.codec.requestView(body: request.json ?? [:], path: request.path)
        let partial = Self.partialToContinue(view) ?? ""
        let rest = text.hasPrefix(partial) ? String(text.dropFirst(partial.count)) : text
        return Outcome(
            dialect: dialect, model: model, text: rest, finishReason: .stop,
            usage: Usage(inputTokens: 10, outputTokens: max(1, rest.split(separator: " ").count)), terminated: true)
    }

    /// Every SSE block of the streamed answer.
    func frames(for request: ScriptedUpstreamServer.Received) -> [[UInt8]] {
        let codec = dialect.codec
        return codec.streamEvents(for: outcome(for: request)).map { codec.encoder.encode($0) }
    }

    func body(for request: ScriptedUpstreamServer.Received) -> [UInt8] {
        JSONWriter.bytes(dialect.codec.body(for: outcome(for: request)))
    }

    /// The whole answer: a stream when the request asks for one, otherwise a JSON body.
    func steps(for request: ScriptedUpstreamServer.Received) -> [ScriptedUpstreamServer.Step] {
        if request.json?["stream"]?.boolValue == true {
            return [.head(status: 200, headers: Self.streamHeaders)] + frames(for: request).map { .chunk($0) } + [.end]
        }
        let body = body(for: request)
        return [.head(status: 200, headers: Self.jsonHeaders(count: body.count)), .chunk(body), .end]
    }

    /// The first `count` blocks of the stream, then `ending`; for a body request, the head and
    /// half the body, then `ending`.
    func truncated(for request: ScriptedUpstreamServer.Received, afterFrames count: Int, ending: ScriptedUpstreamServer.Step) -> [ScriptedUpstreamServer.Step] {
        if request.json?["stream"]?.boolValue == true {
            return [.head(status: 200, headers: Self.streamHeaders)] + frames(for: request).prefix(count).map { .chunk($0) } + [ending]
        }
        let body = body(for: request)
        return [.head(status: 200, headers: Self.jsonHeaders(count: body.count)), .chunk(Array(body.prefix(body.count / 2))), ending]
    }

    /// How many blocks of the stream carry the first `pieces` pieces of text.
    func framesThroughTextPiece(_ pieces: Int, for request: ScriptedUpstreamServer.Received) -> Int {
        var accumulator = dialect.codec.makeAccumulator()
        var seen = 0
        var last = ""
        for (index, frame) in frames(for: request).enumerated() {
            for parsed in SSEParser.parse(frame) { if let event = parsed.event { accumulator.consume(event) } }
            let current = accumulator.outcome().text
            if current != last {
                seen += 1
                last = current
                if seen == pieces { return index + 1 }
            }
        }
        return 0
    }

    static let streamHeaders = [HTTPField("content-type", "text/event-stream")]

    static func jsonHeaders(count: Int) -> [HTTPField] {
        [HTTPField("content-type", "application/json"), HTTPField("content-length", "\(count)")]
    }

    /// A provider-shaped HTTP error.
    static func error(_ kind: ErrorKind, dialect: Dialect) -> [ScriptedUpstreamServer.Step] {
        let response = dialect.codec.errorResponse(kind: kind, message: nil, retryAfter: nil)
        let headers = response.headers.filter { $0.name.lowercased() != "content-length" } + [HTTPField("content-length", "\(response.body.count)")]
        return [.head(status: response.status, headers: headers), .chunk(response.body), .end]
    }

    static func partialToContinue(_ view: RequestView) -> String? {
        if view.endsWithAssistantPrefill { return view.prefillText }
        let turns = view.turns
        if turns.count >= 2, turns[turns.count - 1].role == "user", turns[turns.count - 1].text == continuationInstruction,
            turns[turns.count - 2].role == "assistant"
        {
            return turns[turns.count - 2].text
        }
        return nil
    }
}
