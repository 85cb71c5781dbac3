import Dialects

/// Reading and writing Anthropic Messages requests.
extension NeutralRequest {
    /// Anthropic requires `max_tokens`; this is sent when the client gave no limit.
    static let anthropicDefaultMaxTokens = 4096

    static func fromAnthropic(_ body: JSONValue) -> NeutralRequest {
        var request = NeutralRequest()
        let system = text(of: body["system"])
        request.system = system.isEmpty ? nil : system
        for message in body["messages"]?.arrayValue ?? [] {
            let role: Role = message["role"]?.stringValue == "assistant" ? .assistant : .user
            guard let blocks = message["content"]?.arrayValue else {
                request.messages.append(Message(role: role, text: message["content"]?.stringValue ?? ""))
                continue
            }
            var text = ""
            var calls: [ToolCall] = []
            for block in blocks {
                switch block["type"]?.stringValue {
                case "text":
                    text += block["text"]?.stringValue ?? ""
                case "tool_use":
                    calls.append(ToolCall(
                        id: block["id"]?.stringValue ?? "", name: block["name"]?.stringValue ?? "",
                        arguments: JSONWriter.string(block["input"] ?? [:])))
                case "tool_result":
                    // Tool results ride in user turns here; they become turns of their own.
                    let id = block["tool_use_id"]?.stringValue
                    request.messages.append(
                        Message(role: .tool, text: Self.text(of: block["content"]), toolCallID: id, toolName: request.toolName(forCall: id)))
                default:
                    break
                }
            }
            if role == .assistant || !text.isEmpty || calls.count > 0 {
                request.messages.append(Message(role: role, text: text, toolCalls: calls))
            }
        }
        request.tools = (body["tools"]?.arrayValue ?? []).compactMap { tool in
            guard let name = tool["name"]?.stringValue else { return nil }
            return Tool(name: name, description: tool["description"]?.stringValue, parameters: tool["input_schema"])
        }
        request.maxTokens = body["max_tokens"]?.intValue
        request.temperature = number(body["temperature"])
        request.topP = number(body["top_p"])
        request.stop = stopList(body["stop_sequences"])
        return request
    }

    func anthropicBody(model: String, stream: Bool) -> JSONValue {
        var out: [(role: String, blocks: [JSONValue])] = []
        func append(_ role: String, _ blocks: [JSONValue]) {
            guard !blocks.isEmpty else { return }
            // The API wants alternating turns: consecutive same-role turns are merged.
            if let last = out.indices.last, out[last].role == role {
                out[last].blocks += blocks
            } else {
                out.append((role, blocks))
            }
        }
        for message in messages {
            switch message.role {
            case .user:
                append("user", [["type": "text", "text": .string(message.text)]])
            case .assistant:
                var blocks: [JSONValue] = message.text.isEmpty ? [] : [["type": "text", "text": .string(message.text)]]
                for call in message.toolCalls {
                    let input = (try? JSONValue.parse(call.arguments)).flatMap { $0.objectValue.map(JSONValue.object) } ?? [:]
                    blocks.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
                }
                append("assistant", blocks)
            case .tool:
                append("user", [["type": "tool_result", "tool_use_id": .string(message.toolCallID ?? ""), "content": .string(message.text)]])
            }
        }
        let messages: [JSONValue] = out.map { turn in
            // A lone text block reads best as the plain-string form.
            if turn.blocks.count == 1, turn.blocks[0]["type"]?.stringValue == "text", let text = turn.blocks[0]["text"] {
                return ["role": .string(turn.role), "content": text]
            }
            return ["role": .string(turn.role), "content": .array(turn.blocks)]
        }
        var body: JSONValue = [
            "model": .string(model), "messages": .array(messages), "stream": .bool(stream),
            "max_tokens": .int(maxTokens ?? Self.anthropicDefaultMaxTokens),
        ]
        if let system { body["system"] = .string(system) }
        if let temperature { body["temperature"] = temperature }
        if let topP { body["top_p"] = topP }
        if !stop.isEmpty { body["stop_sequences"] = .array(stop.map(JSONValue.string)) }
        if !tools.isEmpty {
            body["tools"] = .array(tools.map { tool in
                var entry: JSONValue = ["name": .string(tool.name), "input_schema": tool.parameters ?? ["type": "object", "properties": [:]]]
                if let description = tool.description { entry["description"] = .string(description) }
                return entry
            })
        }
        return body
    }
}
