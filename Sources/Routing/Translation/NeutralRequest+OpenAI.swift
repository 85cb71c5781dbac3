import Dialects

/// Reading and writing OpenAI Chat Completions and Responses requests.
extension NeutralRequest {
    static func fromOpenAIChat(_ body: JSONValue) -> NeutralRequest {
        var request = NeutralRequest()
        var system: [String] = []
        for message in body["messages"]?.arrayValue ?? [] {
            let text = text(of: message["content"])
            switch message["role"]?.stringValue {
            case "system", "developer":
                system.append(text)
            case "assistant":
                let calls = (message["tool_calls"]?.arrayValue ?? []).map { call in
                    ToolCall(
                        id: call["id"]?.stringValue ?? "", name: call["function"]?["name"]?.stringValue ?? "",
                        arguments: call["function"]?["arguments"]?.stringValue ?? "")
                }
                request.messages.append(Message(role: .assistant, text: text, toolCalls: calls))
            case "tool", "function":
                let id = message["tool_call_id"]?.stringValue
                request.messages.append(
                    Message(role: .tool, text: text, toolCallID: id, toolName: message["name"]?.stringValue ?? request.toolName(forCall: id)))
            default:
                request.messages.append(Message(role: .user, text: text))
            }
        }
        request.system = system.isEmpty ? nil : system.joined(separator: "\n\n")
        request.tools = (body["tools"]?.arrayValue ?? []).compactMap { tool in
            let function = tool["function"] ?? tool
            guard let name = function["name"]?.stringValue else { return nil }
            return Tool(name: name, description: function["description"]?.stringValue, parameters: function["parameters"])
        }
        request.maxTokens = body["max_completion_tokens"]?.intValue ?? body["max_tokens"]?.intValue
        request.temperature = number(body["temperature"])
        request.topP = number(body["top_p"])
        request.stop = stopList(body["stop"])
        return request
    }

    static func fromOpenAIResponses(_ body: JSONValue) -> NeutralRequest {
        var request = NeutralRequest()
        if let instructions = body["instructions"]?.stringValue, !instructions.isEmpty { request.system = instructions }
        switch body["input"] {
        case .string(let text)?:
            request.messages.append(Message(role: .user, text: text))
        case .array(let items)?:
            for item in items { request.appendResponsesItem(item) }
        default:
            break
        }
        request.tools = (body["tools"]?.arrayValue ?? []).compactMap { tool in
            guard tool["type"]?.stringValue ?? "function" == "function", let name = tool["name"]?.stringValue else { return nil }
            return Tool(name: name, description: tool["description"]?.stringValue, parameters: tool["parameters"])
        }
        request.maxTokens = body["max_output_tokens"]?.intValue
        request.temperature = number(body["temperature"])
        request.topP = number(body["top_p"])
        return request
    }

    private mutating func appendResponsesItem(_ item: JSONValue) {
        if let text = item.stringValue {
            messages.append(Message(role: .user, text: text))
            return
        }
        switch item["type"]?.stringValue {
        case "function_call":
            let call = ToolCall(
                id: item["call_id"]?.stringValue ?? item["id"]?.stringValue ?? "", name: item["name"]?.stringValue ?? "",
                arguments: item["arguments"]?.stringValue ?? "")
            // Consecutive calls belong to one assistant turn.
            if let last = messages.indices.last, messages[last].role == .assistant {
                messages[last].toolCalls.append(call)
            } else {
                messages.append(Message(role: .assistant, text: "", toolCalls: [call]))
            }
        case "function_call_output":
            let id = item["call_id"]?.stringValue
            let output = item["output"].map { $0.stringValue ?? JSONWriter.string($0) } ?? ""
            messages.append(Message(role: .tool, text: output, toolCallID: id, toolName: toolName(forCall: id)))
        case "message", nil:
            let text = Self.text(of: item["content"])
            switch item["role"]?.stringValue {
            case "system", "developer": system = [system, text].compactMap { $0 }.joined(separator: "\n\n")
            case "assistant": messages.append(Message(role: .assistant, text: text))
            default: messages.append(Message(role: .user, text: text))
            }
        default:
            break  // reasoning items and references carry nothing another provider could use
        }
    }

    func openAIChatBody(model: String, stream: Bool) -> JSONValue {
        var out: [JSONValue] = []
        if let system { out.append(["role": "system", "content": .string(system)]) }
        for message in messages {
            switch message.role {
            case .user:
                out.append(["role": "user", "content": .string(message.text)])
            case .assistant:
                var turn: JSONValue = ["role": "assistant", "content": message.text.isEmpty && !message.toolCalls.isEmpty ? .null : .string(message.text)]
                if !message.toolCalls.isEmpty {
                    turn["tool_calls"] = .array(message.toolCalls.map { call in
                        ["id": .string(call.id), "type": "function",
                         "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
                    })
                }
                out.append(turn)
            case .tool:
                out.append(["role": "tool", "tool_call_id": .string(message.toolCallID ?? ""), "content": .string(message.text)])
            }
        }
        var body: JSONValue = ["model": .string(model), "messages": .array(out), "stream": .bool(stream)]
        if stream { body["stream_options"] = ["include_usage": true] }
        if let maxTokens { body["max_tokens"] = .int(maxTokens) }
        if let temperature { body["temperature"] = temperature }
        if let topP { body["top_p"] = topP }
        if !stop.isEmpty { body["stop"] = .array(stop.map(JSONValue.string)) }
        if !tools.isEmpty {
            body["tools"] = .array(tools.map { tool in
                var function: JSONValue = ["name": .string(tool.name), "parameters": tool.parameters ?? ["type": "object", "properties": [:]]]
                if let description = tool.description { function["description"] = .string(description) }
                return ["type": "function", "function": function]
            })
        }
        return body
    }

    func openAIResponsesBody(model: String, stream: Bool) -> JSONValue {
        var input: [JSONValue] = []
        for message in messages {
            switch message.role {
            case .user:
                input.append(["role": "user", "content": .string(message.text)])
            case .assistant:
                if !message.text.isEmpty { input.append(["role": "assistant", "content": .string(message.text)]) }
                for call in message.toolCalls {
                    input.append(["type": "function_call", "call_id": .string(call.id), "name": .string(call.name),
                                  "arguments": .string(call.arguments)])
                }
            case .tool:
                input.append(["type": "function_call_output", "call_id": .string(message.toolCallID ?? ""), "output": .string(message.text)])
            }
        }
        var body: JSONValue = ["model": .string(model), "input": .array(input), "stream": .bool(stream)]
        if let system { body["instructions"] = .string(system) }
        if let maxTokens { body["max_output_tokens"] = .int(maxTokens) }
        if let temperature { body["temperature"] = temperature }
        if let topP { body["top_p"] = topP }
        if !tools.isEmpty {
            body["tools"] = .array(tools.map { tool in
                var entry: JSONValue = ["type": "function", "name": .string(tool.name),
                                        "parameters": tool.parameters ?? ["type": "object", "properties": [:]]]
                if let description = tool.description { entry["description"] = .string(description) }
                return entry
            })
        }
        return body
    }
}
