/// The registry of dialect codecs: an explicit table, no reflection.
extension Dialect {
    /// The codec for this dialect.
    public var codec: any DialectCodec {
        switch self {
        case .openAIChat: return OpenAIChatCodec()
        case .openAIResponses: return OpenAIResponsesCodec()
        case .anthropicMessages: return AnthropicMessagesCodec()
        case .gemini: return GeminiCodec()
        }
    }

    /// The dialect a request path belongs to, with or without a provider prefix
    /// (`/openai/v1/chat/completions`), ignoring any query string.
    public static func detect(path: String) -> Dialect? {
        let bare = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        if bare.hasSuffix("/chat/completions") { return .openAIChat }
        if bare.hasSuffix("/responses") { return .openAIResponses }
        if bare.hasSuffix("/messages") { return .anthropicMessages }
        if bare.contains(":generateContent") || bare.contains(":streamGenerateContent") { return .gemini }
        return nil
    }
}
