import SSE

extension Dialect {
    /// The dialect of a JSON document a provider sent: a non-stream body, an error body, or one
    /// stream event's data. Nil when nothing in it is characteristic.
    public static func detect(json: JSONValue) -> Dialect? {
        let object = json["object"]?.stringValue
        let type = json["type"]?.stringValue
        if object == "chat.completion" || object == "chat.completion.chunk" { return .openAIChat }
        if object == "response" || type?.hasPrefix("response.") == true { return .openAIResponses }
        if type == "error" && json["sequence_number"] != nil { return .openAIResponses }
        if let type, ["message", "message_start", "message_delta", "message_stop", "content_block_start",
                      "content_block_delta", "content_block_stop", "ping", "error"].contains(type) {
            return .anthropicMessages
        }
        if json["candidates"] != nil || json["usageMetadata"] != nil || json["promptFeedback"] != nil {
            return .gemini
        }
        if let error = json["error"] {
            if error["status"] != nil && error["code"]?.intValue != nil { return .gemini }
            return .openAIChat
        }
        if json["choices"] != nil { return .openAIChat }
        return nil
    }

    /// The dialect of a parsed stream, from its event names or its first JSON payload.
    public static func detect(frames: [SSEFrame]) -> Dialect? {
        for frame in frames {
            guard let event = frame.event else { continue }
            if event.type.hasPrefix("response.") { return .openAIResponses }
            if let json = try? JSONValue.parse(event.data), let dialect = detect(json: json) { return dialect }
        }
        return nil
    }
}
