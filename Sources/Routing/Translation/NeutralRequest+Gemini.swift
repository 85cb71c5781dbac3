import Dialects

/// Writing Gemini `generateContent` requests (Gemini is never a client dialect of the router).
extension NeutralRequest {
    func geminiBody() -> JSONValue {
        var contents: [JSONValue] = []
        func append(_ role: String, _ parts: [JSONValue]) {
            guard !parts.isEmpty else { return }
            if let last = contents.indices.last, contents[last]["role"]?.stringValue == role,
                let existing = contents[last]["parts"]?.arrayValue
            {
                contents[last]["parts"] = .array(existing + parts)
            } else {
                contents.append(["role": .string(role), "parts": .array(parts)])
            }
        }
        for message in messages {
            switch message.role {
            case .user:
                append("user", [["text": .string(message.text)]])
            case .assistant:
                var parts: [JSONValue] = message.text.isEmpty ? [] : [["text": .string(message.text)]]
                for call in message.toolCalls {
                    let args = (try? JSONValue.parse(call.arguments)).flatMap { $0.objectValue.map(JSONValue.object) } ?? [:]
                    parts.append(["functionCall": ["name": .string(call.name), "args": args]])
                }
                append("model", parts)
            case .tool:
                let name = message.toolName ?? toolName(forCall: message.toolCallID) ?? "tool"
                append("user", [["functionResponse": ["name": .string(name), "response": ["content": .string(message.text)]]]])
            }
        }
        var body: JSONValue = ["contents": .array(contents)]
        if let system { body["systemInstruction"] = ["parts": [["text": .string(system)]]] }
        var generation: [String: JSONValue] = [:]
        if let maxTokens { generation["maxOutputTokens"] = .int(maxTokens) }
        if let temperature { generation["temperature"] = temperature }
        if let topP { generation["topP"] = topP }
        if !stop.isEmpty { generation["stopSequences"] = .array(stop.map(JSONValue.string)) }
        if !generation.isEmpty { body["generationConfig"] = .object(generation) }
        if !tools.isEmpty {
            body["tools"] = [["functionDeclarations": .array(tools.map { tool in
                var declaration: JSONValue = ["name": .string(tool.name)]
                if let description = tool.description { declaration["description"] = .string(description) }
                if let parameters = tool.parameters { declaration["parameters"] = parameters }
                return declaration
            })]]
        }
        return body
    }
}
