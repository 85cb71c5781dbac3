/// Continuation requests for Chat Completions: the original request with turns appended after
/// its `messages`, nothing else touched.
extension OpenAIChatCodec {
    /// Prefill appends `{"role":"assistant","content":partial,"prefix":true}` (DeepSeek's and
    /// LiteLLM's convention); user-message appends the assistant turn without `prefix`, then a user
    /// turn with `continuationInstruction`. Empty partial text, or a request without a
    /// `messages` list, returns the original unchanged: there is nothing to continue, and an
    /// empty assistant turn is exactly what providers reject.
    public func continuationRequest(original: JSONValue, partialText: String, style: ContinuationStyle) -> JSONValue {
        guard !partialText.isEmpty, var messages = original["messages"]?.arrayValue else { return original }
        switch style {
        case .prefill:
            messages.append(["role": "assistant", "content": .string(partialText), "prefix": true])
        case .userMessage:
            messages.append(["role": "assistant", "content": .string(partialText)])
            messages.append(["role": "user", "content": .string(continuationInstruction)])
        }
        var request = original
        request["messages"] = .array(messages)
        return request
    }
}
