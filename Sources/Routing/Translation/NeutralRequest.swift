import Dialects

/// A chat request reduced to what every provider understands, so a request in one dialect can be
/// rebuilt in another: system text, turns (text, tool calls, tool results), tools, and the common
/// sampling limits. Images and provider-only options do not survive translation (same-dialect
/// requests are passed through instead, untouched but for the model).
struct NeutralRequest: Sendable, Hashable {
    enum Role: String, Sendable, Hashable {
        case user, assistant, tool
    }

    struct Message: Sendable, Hashable {
        var role: Role
        var text: String
        /// Calls an assistant turn made.
        var toolCalls: [ToolCall] = []
        /// For a tool turn: the call it answers, and the tool's name when known.
        var toolCallID: String?
        var toolName: String?
    }

    struct Tool: Sendable, Hashable {
        var name: String
        var description: String?
        /// JSON Schema of the arguments.
        var parameters: JSONValue?
    }

    var system: String?
    var messages: [Message] = []
    var tools: [Tool] = []
    var maxTokens: Int?
    var temperature: JSONValue?
    var topP: JSONValue?
    var stop: [String] = []

    /// The request of a client body in one of the three client dialects.
    static func parse(_ body: JSONValue, dialect: Dialect) -> NeutralRequest {
        switch dialect {
        case .openAIChat: return fromOpenAIChat(body)
        case .openAIResponses: return fromOpenAIResponses(body)
        case .anthropicMessages: return fromAnthropic(body)
        case .gemini: return NeutralRequest()
        }
    }

    /// The body to send a provider speaking `dialect` (Gemini's model and stream flag live in the URL).
    func body(for dialect: Dialect, model: String, stream: Bool) -> JSONValue {
        switch dialect {
        case .openAIChat: return openAIChatBody(model: model, stream: stream)
        case .openAIResponses: return openAIResponsesBody(model: model, stream: stream)
        case .anthropicMessages: return anthropicBody(model: model, stream: stream)
        case .gemini: return geminiBody()
        }
    }

    /// The tool name of the call a tool result answers, looked up in earlier assistant turns.
    func toolName(forCall id: String?) -> String? {
        guard let id else { return nil }
        for message in messages.reversed() {
            if let call = message.toolCalls.first(where: { $0.id == id }) { return call.name }
        }
        return nil
    }

    /// Text of a content value: a string, or the text of a list of parts (`text`, `input_text`,
    /// `output_text` parts; others dropped).
    static func text(of content: JSONValue?) -> String {
        switch content {
        case .string(let text)?: return text
        case .array(let parts)?:
            return parts.compactMap { part -> String? in
                if let text = part.stringValue { return text }
                return part["text"]?.stringValue
            }.joined()
        default: return ""
        }
    }

    /// `stop` given as one string or a list.
    static func stopList(_ value: JSONValue?) -> [String] {
        if let one = value?.stringValue { return [one] }
        return value?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    static func number(_ value: JSONValue?) -> JSONValue? {
        switch value {
        case .int?, .double?: return value
        default: return nil
        }
    }
}
