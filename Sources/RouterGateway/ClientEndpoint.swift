import Dialects

/// The client-facing API paths the gateway serves, each spoken in one dialect.
public enum ClientEndpoint: String, Sendable, CaseIterable {
    case chatCompletions = "/v1/chat/completions"
    case responses = "/v1/responses"
    case messages = "/v1/messages"

    /// The wire format of the requests and answers on this path.
    public var dialect: Dialect {
        switch self {
        case .chatCompletions: return .openAIChat
        case .responses: return .openAIResponses
        case .messages: return .anthropicMessages
        }
    }

    public var path: String { rawValue }
}
