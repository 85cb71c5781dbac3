/// Builds random but well-formed JSON text from the keys and values LLM wire formats use, so
/// decoders see plausible shapes with wrong types, extreme numbers and odd nesting.
public struct RandomJSON: Sendable {
    public var maxDepth: Int

    public init(maxDepth: Int = 6) {
        self.maxDepth = maxDepth
    }

    /// One random document: an object most of the time, as wire payloads are.
    public func document(using random: inout SeededGenerator) -> String {
        random.chance(9, in: 10) ? object(depth: 0, using: &random) : value(depth: 0, using: &random)
    }

    public func value(depth: Int, using random: inout SeededGenerator) -> String {
        let composite = depth < maxDepth && random.chance(2, in: 5)
        if composite { return random.chance(1, in: 2) ? object(depth: depth, using: &random) : array(depth: depth, using: &random) }
        switch random.below(6) {
        case 0: return random.pick(["null", "true", "false"])
        case 1, 2: return random.pick(ByteMutator.extremeNumbers + ["0", "1", "2", "3", "-5", "0.5"])
        default: return quoted(random.pick(Self.words))
        }
    }

    public func object(depth: Int, using random: inout SeededGenerator) -> String {
        let members = (0..<random.below(6)).map { _ in
            quoted(random.pick(Self.keys)) + ":" + value(depth: depth + 1, using: &random)
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    public func array(depth: Int, using random: inout SeededGenerator) -> String {
        "[" + (0..<random.below(5)).map { _ in value(depth: depth + 1, using: &random) }.joined(separator: ",") + "]"
    }

    private func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case let s where s.value < 0x20: out += "\\u00" + String(s.value, radix: 16).leftPadded(to: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Field names of the four dialects' requests, bodies, events and errors.
    public static let keys = [
        "type", "index", "delta", "text", "content", "choices", "candidates", "usage", "usageMetadata", "error",
        "message", "model", "id", "sequence_number", "output_index", "content_index", "item", "item_id", "content_block",
        "partial_json", "tool_calls", "function", "arguments", "name", "finish_reason", "finishReason", "parts", "role",
        "messages", "input", "stream", "status", "code", "promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount",
        "toolUsePromptTokenCount", "input_tokens", "output_tokens", "prompt_tokens", "completion_tokens",
        "cache_read_input_tokens", "cache_creation_input_tokens", "response", "output", "stop_reason", "functionCall",
        "function_call", "args", "systemInstruction", "system", "contents", "object", "refusal", "thought", "promptFeedback",
        "blockReason", "param", "incomplete_details", "reason", "instructions", "tools", "prefix",
    ]

    /// String values that steer decoders into their interesting branches.
    public static let words = [
        "", "assistant", "user", "system", "tool", "model", "function", "text", "tool_use", "input_json_delta", "text_delta",
        "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
        "ping", "error", "overloaded_error", "rate_limit_error", "response.created", "response.output_text.delta",
        "response.output_item.added", "response.function_call_arguments.delta", "response.completed", "response.failed",
        "response.incomplete", "chat.completion", "chat.completion.chunk", "response", "message", "stop", "length",
        "tool_calls", "content_filter", "STOP", "MAX_TOKENS", "SAFETY", "RESOURCE_EXHAUSTED", "UNAVAILABLE",
        "function_call", "output_text", "end_turn", "max_tokens", "[DONE]", "{\"a\":", "é", "\u{1F600}", "\u{0}", "line\nbreak",
        "gpt-4o", "claude-sonnet-4", "gemini-2.5-flash",
    ]
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
