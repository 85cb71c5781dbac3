/// The provider wire formats Tapedeck speaks.
public enum Dialect: String, Codable, CaseIterable, Sendable {
    case openAIChat = "openai_chat"
    case openAIResponses = "openai_responses"
    case anthropicMessages = "anthropic_messages"
    case gemini = "gemini"
}

extension Dialect {
    /// Whether a stream can report its model after content has been sent: every chunk names it
    /// in OpenAI Chat and Gemini, the terminal event in Responses; Anthropic names it only in
    /// `message_start`, before any content.
    public var namesModelAfterContent: Bool { self != .anthropicMessages }
}

/// The error taxonomy every provider's HTTP errors and in-band error events are classified into.
public enum ErrorKind: String, Codable, CaseIterable, Sendable {
    case rateLimit = "rate_limit"
    case overloaded
    case serverError = "server_error"
    case timeout
    case contextWindow = "context_window"
    case contentPolicy = "content_policy"
    case auth
    case badRequest = "bad_request"
    case notFound = "not_found"
    case prefillRejected = "prefill_rejected"
    case connection
    case malformed

    /// Whether a gateway should retry or fail over on this kind (408/409/429/5xx and transport).
    public var isTransient: Bool {
        switch self {
        case .rateLimit, .overloaded, .serverError, .timeout, .connection, .malformed: return true
        case .contextWindow, .contentPolicy, .auth, .badRequest, .notFound, .prefillRejected: return false
        }
    }
}

/// A failure as a client saw it: its kind, the HTTP status if there was one, the provider's message.
public struct OutcomeError: Codable, Hashable, Sendable {
    public var kind: ErrorKind
    public var status: Int?
    public var message: String

    public init(kind: ErrorKind, status: Int?, message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }
}

/// Why generation stopped, normalized across providers.
public enum FinishReason: String, Codable, CaseIterable, Sendable {
    case stop
    case length
    case toolCalls = "tool_calls"
    case contentFilter = "content_filter"
}

/// One tool (function) call, with its arguments reassembled as the text the model produced.
public struct ToolCall: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// Token counts, with input meaning every prompt token (cached ones included).
public struct Usage: Codable, Hashable, Sendable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
    }

    /// The counts of two attempts combined; saturates rather than trapping on counts a provider
    /// (or a damaged recording) makes absurdly large.
    public static func + (lhs: Usage, rhs: Usage) -> Usage {
        Usage(
            inputTokens: lhs.inputTokens.saturatingAdding(rhs.inputTokens),
            outputTokens: lhs.outputTokens.saturatingAdding(rhs.outputTokens))
    }
}

extension Int {
    /// The sum, clamped to `Int.min...Int.max`: token counts come from the wire and must not trap.
    func saturatingAdding(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

/// What a client ends up with after a stream or a body, in any dialect.
///
/// Its JSON form (`tapedeck inspect --json`, reports) has exactly the fields `dialect`, `model`,
/// `text`, `tool_calls`, `finish_reason`, `usage`, `error`, `terminated`; `text` is the first
/// choice's text (other choices, rare behind gateways, are kept in memory only).
public struct Outcome: Hashable, Sendable {
    public var dialect: Dialect
    public var model: String?
    /// Text per choice index; index 0 is `text`.
    public var choices: [String]
    public var toolCalls: [ToolCall]
    public var finishReason: FinishReason?
    public var usage: Usage?
    public var error: OutcomeError?
    /// True only when a stream ended with its dialect's terminator, or a body was complete.
    public var terminated: Bool

    public init(
        dialect: Dialect, model: String? = nil, text: String = "", toolCalls: [ToolCall] = [],
        finishReason: FinishReason? = nil, usage: Usage? = nil, error: OutcomeError? = nil, terminated: Bool = false
    ) {
        self.dialect = dialect
        self.model = model
        self.choices = [text]
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.error = error
        self.terminated = terminated
    }

    /// The first choice's text.
    public var text: String {
        get { choices.first ?? "" }
        set { if choices.isEmpty { choices = [newValue] } else { choices[0] = newValue } }
    }

    /// Appends text to a choice, growing the list as needed.
    public mutating func append(text piece: String, choice: Int = 0) {
        guard choice >= 0 else { return }
        while choices.count <= choice { choices.append("") }
        choices[choice] += piece
    }

    /// True when the outcome is a complete answer without error.
    public var isSuccess: Bool { error == nil && terminated }
}

extension Outcome: Codable {
    enum CodingKeys: String, CodingKey {
        case dialect, model, text
        case toolCalls = "tool_calls"
        case finishReason = "finish_reason"
        case usage, error, terminated
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            dialect: try c.decode(Dialect.self, forKey: .dialect),
            model: try c.decodeIfPresent(String.self, forKey: .model),
            text: try c.decode(String.self, forKey: .text),
            toolCalls: try c.decode([ToolCall].self, forKey: .toolCalls),
            finishReason: try c.decodeIfPresent(FinishReason.self, forKey: .finishReason),
            usage: try c.decodeIfPresent(Usage.self, forKey: .usage),
            error: try c.decodeIfPresent(OutcomeError.self, forKey: .error),
            terminated: try c.decode(Bool.self, forKey: .terminated)
        )
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dialect, forKey: .dialect)
        try c.encode(model, forKey: .model)
        try c.encode(text, forKey: .text)
        try c.encode(toolCalls, forKey: .toolCalls)
        try c.encode(finishReason, forKey: .finishReason)
        try c.encode(usage, forKey: .usage)
        try c.encode(error, forKey: .error)
        try c.encode(terminated, forKey: .terminated)
    }
}
