import SSE

/// One conversation turn of a request, reduced to what routing and matching need.
public struct ChatTurn: Hashable, Sendable, Codable {
    /// `system`, `user`, `assistant` or `tool` (Gemini's `model` is reported as `assistant`).
    public var role: String
    /// The turn's text parts joined; tool calls and results are rendered as their JSON.
    public var text: String

    public init(role: String, text: String) {
        self.role = role
        self.text = text
    }
}

/// What a request asks for, whatever its dialect.
public struct RequestView: Hashable, Sendable {
    public var dialect: Dialect
    /// The request path, e.g. `/v1/chat/completions` or `/v1beta/models/gemini-2.5-flash:streamGenerateContent`.
    public var endpoint: String
    public var model: String?
    public var stream: Bool
    /// System prompt(s) first when the dialect keeps them apart (Anthropic `system`, Gemini `systemInstruction`).
    public var turns: [ChatTurn]

    public init(dialect: Dialect, endpoint: String, model: String?, stream: Bool, turns: [ChatTurn]) {
        self.dialect = dialect
        self.endpoint = endpoint
        self.model = model
        self.stream = stream
        self.turns = turns
    }

    /// The role of the last turn, if any.
    public var lastRole: String? { turns.last?.role }

    /// True when the request ends with an assistant turn: the model is asked to continue it.
    public var endsWithAssistantPrefill: Bool { lastRole == "assistant" }

    /// The text of a trailing assistant turn, if the request ends with one.
    public var prefillText: String? { endsWithAssistantPrefill ? turns.last?.text : nil }
}

/// An HTTP error response shaped as a provider sends it.
public struct ProviderErrorResponse: Hashable, Sendable {
    public var status: Int
    /// Header names in lowercase, in the order they are sent.
    public var headers: [HTTPField]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPField], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A header name and value; names are kept as given (lowercase by convention).
public struct HTTPField: Hashable, Sendable, Codable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// How a gateway asks a fallback to continue text that already reached the client.
public enum ContinuationStyle: String, Sendable, CaseIterable, Codable {
    /// Append an assistant turn holding the partial text (Anthropic prefill, OpenAI `prefix: true`).
    case prefill
    /// Append the partial text as an assistant turn followed by a user turn asking to continue.
    case userMessage = "user_message"
}

/// The instruction a user-message continuation sends after the partial assistant turn.
public let continuationInstruction =
    "Continue your previous answer exactly where it stopped. Do not repeat any text you already wrote."

/// Folds a stream's events into an `Outcome`, the way the dialect's official SDK would.
public protocol StreamAccumulator: Sendable {
    /// Consumes one dispatched event (keep-alives and unterminated blocks are never passed).
    mutating func consume(_ event: SSEEvent)
    /// The outcome so far; `terminated` is true only once the dialect's terminator was seen.
    func outcome() -> Outcome
}

/// Everything Tapedeck knows about one provider wire format.
public protocol DialectCodec: Sendable {
    var dialect: Dialect { get }
    /// How this dialect writes synthesized streams (line endings, `event:` lines).
    var encoder: SSEEncoder { get }

    /// Reads a request body (and, for Gemini, its path: model and stream live in the URL).
    func requestView(body: JSONValue, path: String) -> RequestView

    /// A fresh accumulator for one stream.
    func makeAccumulator() -> any StreamAccumulator
    /// The outcome of a non-stream response body; non-2xx statuses give an `error` outcome.
    /// A nil status means unknown (inspecting a file): it is inferred from the body.
    func outcome(fromBody body: [UInt8], status: Int?) -> Outcome
    /// Whether an event is the one that properly ends a stream (`[DONE]`, `message_stop`, …).
    func isTerminator(_ event: SSEEvent) -> Bool

    /// The non-stream body a provider would have sent for this (successful) outcome.
    func body(for outcome: Outcome) -> JSONValue
    /// A complete stream a provider would have sent for this outcome, terminator included.
    func streamEvents(for outcome: Outcome) -> [SSEEvent]

    /// Classifies an HTTP error response.
    func classify(status: Int, body: [UInt8]) -> OutcomeError
    /// Classifies an in-band error event; nil when the event is not an error.
    func classify(inBand event: SSEEvent) -> OutcomeError?
    /// The HTTP status this dialect's providers use for a kind (overloaded: 529 Anthropic, 503 others).
    func status(for kind: ErrorKind) -> Int
    /// A provider-shaped HTTP error response for a kind, with `retry-after` when given.
    func errorResponse(kind: ErrorKind, message: String?, retryAfter: Int?) -> ProviderErrorResponse
    /// A provider-shaped in-band error event for a kind.
    func inBandErrorEvent(kind: ErrorKind, message: String?) -> SSEEvent
    /// The in-band error event that follows the events already sent (for numbered streams).
    func inBandErrorEvent(kind: ErrorKind, message: String?, after sent: [SSEEvent]) -> SSEEvent

    /// The original request extended so the model continues `partialText`.
    func continuationRequest(original: JSONValue, partialText: String, style: ContinuationStyle) -> JSONValue
}

extension DialectCodec {
    /// Most dialects do not number their events: the error event is the same wherever it falls.
    public func inBandErrorEvent(kind: ErrorKind, message: String?, after sent: [SSEEvent]) -> SSEEvent {
        inBandErrorEvent(kind: kind, message: message)
    }

    /// The outcome of a parsed stream: events of terminated blocks only, as a client sees them.
    public func outcome(fromFrames frames: [SSEFrame]) -> Outcome {
        var accumulator = makeAccumulator()
        for frame in frames where frame.isTerminated {
            if let event = frame.event { accumulator.consume(event) }
        }
        return accumulator.outcome()
    }

    /// The bytes of a synthesized stream for an outcome.
    public func streamBytes(for outcome: Outcome) -> [UInt8] {
        streamEvents(for: outcome).flatMap { encoder.encode($0) }
    }

    /// Default message for a kind when the caller gives none.
    public func defaultMessage(for kind: ErrorKind) -> String { kind.defaultMessage }
}

extension ErrorKind {
    /// A plausible provider message for this kind, used when a fault gives none.
    public var defaultMessage: String {
        switch self {
        case .rateLimit: return "Rate limit reached for requests. Please try again later."
        case .overloaded: return "Overloaded"
        case .serverError: return "The server had an error while processing your request."
        case .timeout: return "Request timed out."
        case .contextWindow: return "This model's maximum context length is exceeded by the input."
        case .contentPolicy: return "The request was rejected by the content policy."
        case .auth: return "Invalid API key provided."
        case .badRequest: return "Invalid request."
        case .notFound: return "The model does not exist or you do not have access to it."
        case .prefillRejected:
            return "This model does not support assistant message prefill. The conversation must end with a user message."
        case .connection: return "Connection error."
        case .malformed: return "Malformed response."
        }
    }
}
