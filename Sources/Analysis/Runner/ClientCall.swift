import Dialects
import SSE

/// One request a client sends to the target under test, in one mode.
public struct ClientCall: Sendable {
    public var endpoint: String
    public var dialect: Dialect
    /// The JSON body, `stream` already set for the mode.
    public var body: [UInt8]
    public var stream: Bool
    public var apiKey: String?

    /// The scenario's request in one mode: `stream` set, and for OpenAI Chat streams the usage
    /// chunk asked for, as a careful client does (gateways pass it through; without it a stream
    /// carries no usage to compare).
    public init(scenario: Scenario, mode: Mode, apiKey: String?) {
        var body = scenario.request
        let stream = mode == .stream
        body["stream"] = .bool(stream)
        let dialect = scenario.dialect ?? .openAIChat
        if stream && dialect == .openAIChat {
            var options = body["stream_options"]?.objectValue ?? [:]
            options["include_usage"] = true
            body["stream_options"] = .object(options)
        }
        self.endpoint = scenario.endpoint
        self.dialect = dialect
        self.body = JSONWriter.bytes(body)
        self.stream = stream
        self.apiKey = scenario.apiKey ?? apiKey
    }
}

/// What the client saw: the status, every piece of body with its arrival time, and whether it
/// gave up waiting.
public struct ClientObservation: Sendable {
    public var status: Int?
    public var headers: [HTTPField]
    /// Body pieces in arrival order, with milliseconds from the request's start.
    public var pieces: [(milliseconds: Double, bytes: [UInt8])]
    /// True when the response had not ended by the deadline.
    public var hung: Bool
    /// Set when the connection failed (refused, reset) before or during the response.
    public var transportError: String?
    public var elapsedMilliseconds: Double

    public init(status: Int?, headers: [HTTPField], pieces: [(milliseconds: Double, bytes: [UInt8])], hung: Bool,
                transportError: String?, elapsedMilliseconds: Double) {
        self.status = status
        self.headers = headers
        self.pieces = pieces
        self.hung = hung
        self.transportError = transportError
        self.elapsedMilliseconds = elapsedMilliseconds
    }

    /// Every body byte received.
    public var body: [UInt8] { pieces.flatMap(\.bytes) }

    /// The outcome the client's SDK would report, and the timeline of what reached it.
    public func outcome(for call: ClientCall) -> (Outcome, [ClientFrame]) {
        let codec = call.dialect.codec
        let isEventStream = headers.contains { $0.name.lowercased() == "content-type" && $0.value.contains("text/event-stream") }
        guard let status, (200..<300).contains(status), call.stream, isEventStream else {
            var outcome: Outcome
            if let status {
                outcome = codec.outcome(fromBody: body, status: status)
            } else {
                outcome = Outcome(dialect: call.dialect)
            }
            if let transportError, outcome.error == nil || status == nil {
                outcome.error = OutcomeError(kind: .connection, status: nil, message: transportError)
                outcome.terminated = false
            }
            let frames = pieces.map { ClientFrame(milliseconds: $0.milliseconds, bytes: $0.bytes.count) }
            return (outcome, frames)
        }
        var parser = SSEParser()
        var accumulator = codec.makeAccumulator()
        var frames: [ClientFrame] = []
        var textSoFar = ""
        func take(_ parsed: [SSEFrame], at milliseconds: Double) {
            for frame in parsed {
                if frame.isTerminated, let event = frame.event { accumulator.consume(event) }
                let text = accumulator.outcome().text
                let added = text.hasPrefix(textSoFar) ? String(text.dropFirst(textSoFar.count)) : text
                textSoFar = text
                if frame.event != nil || !frame.comments.isEmpty {
                    frames.append(ClientFrame(milliseconds: milliseconds, bytes: frame.raw.count, text: added))
                }
            }
        }
        for piece in pieces { take(parser.feed(piece.bytes), at: piece.milliseconds) }
        take(parser.finish(), at: elapsedMilliseconds)
        var outcome = accumulator.outcome()
        if let transportError, outcome.error == nil, !outcome.terminated {
            outcome.error = OutcomeError(kind: .connection, status: nil, message: transportError)
        }
        return (outcome, frames)
    }
}

/// The router or gateway under test.
public protocol AnalysisTarget: Sendable {
    /// A description for reports: `built-in router (CONFIG)` or the gateway's URL.
    var name: String { get }
    /// Sends one call and observes the response until it ends or `deadline` passes.
    func call(_ call: ClientCall, deadline: Duration) async -> ClientObservation
}
