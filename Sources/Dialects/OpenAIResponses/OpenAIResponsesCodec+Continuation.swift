/// Continuation requests for the Responses API: the original request with items appended to its
/// `input`, nothing else touched (a string `input` becomes the equivalent one-item list first).
extension OpenAIResponsesCodec {
    /// Prefill appends an assistant message with the partial text (the API has no `prefix` flag:
    /// a trailing assistant message is how it is asked to continue); user-message appends that
    /// message, then a user message with `continuationInstruction`. Empty partial text returns the
    /// original unchanged: there is nothing to continue.
    public func continuationRequest(original: JSONValue, partialText: String, style: ContinuationStyle) -> JSONValue {
        guard !partialText.isEmpty, case .object = original else { return original }
        var items: [JSONValue]
        switch original["input"] {
        case .string(let text)?: items = [["role": "user", "content": .string(text)]]
        case .array(let existing)?: items = existing
        default: items = []
        }
        items.append(["role": "assistant", "content": .string(partialText)])
        if style == .userMessage {
            items.append(["role": "user", "content": .string(continuationInstruction)])
        }
        var request = original
        request["input"] = .array(items)
        return request
    }
}
