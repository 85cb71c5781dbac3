import SSE

/// The Anthropic Messages dialect (`POST /v1/messages`): requests, streams, bodies and errors.
public struct AnthropicMessagesCodec: DialectCodec {
    public init() {}

    public var dialect: Dialect { .anthropicMessages }

    /// Anthropic names every event (`event: message_start` …) and ends lines with LF.
    public var encoder: SSEEncoder { SSEEncoder(lineEnding: "\n", namesMessageEvents: false) }

    public func requestView(body: JSONValue, path: String) -> RequestView {
        var turns: [ChatTurn] = []
        if let system = body["system"], !system.isNull {
            turns.append(ChatTurn(role: "system", text: Self.text(ofContent: system)))
        }
        for message in body["messages"]?.arrayValue ?? [] {
            let content = message["content"] ?? .null
            var role = message["role"]?.stringValue ?? "user"
            // A user turn made only of tool results answers a tool call: report it as `tool`.
            if role == "user", let blocks = content.arrayValue, !blocks.isEmpty,
                blocks.allSatisfy({ $0["type"]?.stringValue == "tool_result" })
            {
                role = "tool"
            }
            turns.append(ChatTurn(role: role, text: Self.text(ofContent: content)))
        }
        return RequestView(
            dialect: dialect,
            endpoint: Self.pathWithoutQuery(path),
            model: body["model"]?.stringValue,
            stream: body["stream"]?.boolValue ?? false,
            turns: turns
        )
    }

    public func makeAccumulator() -> any StreamAccumulator { AnthropicMessagesAccumulator(codec: self) }

    public func outcome(fromBody body: [UInt8], status: Int?) -> Outcome {
        let isErrorStatus = status.map { !(200..<300).contains($0) } ?? false
        guard let json = try? JSONValue.parse(body) else {
            if let status, isErrorStatus { return Outcome(dialect: dialect, error: classify(status: status, body: body)) }
            return Outcome(dialect: dialect, error: Self.malformedBodyError)
        }
        if let status, isErrorStatus { return Outcome(dialect: dialect, error: error(from: json, status: status)) }
        if json["type"]?.stringValue == "error" {
            // Read from a file, the status is the one Anthropic pairs with the error type.
            let inferred = json["error"]?["type"]?.stringValue.flatMap(AnthropicErrorType.init(rawValue:))?.status
            return Outcome(dialect: dialect, error: error(from: json, status: inferred))
        }
        var outcome = Outcome(dialect: dialect, model: json["model"]?.stringValue, terminated: true)
        for block in json["content"]?.arrayValue ?? [] {
            switch block["type"]?.stringValue {
            case "text":
                outcome.append(text: block["text"]?.stringValue ?? "")
            case "tool_use":
                outcome.toolCalls.append(ToolCall(
                    id: block["id"]?.stringValue ?? "",
                    name: block["name"]?.stringValue ?? "",
                    arguments: Self.argumentsText(ofInput: block["input"])
                ))
            default:
                break  // thinking, server tool blocks: not part of the answer text
            }
        }
        outcome.finishReason = json["stop_reason"]?.stringValue.flatMap(Self.finishReason(stopReason:))
        if let usage = json["usage"], usage.objectValue != nil {
            outcome.usage = Usage(inputTokens: Self.inputTokens(in: usage) ?? 0, outputTokens: usage["output_tokens"]?.intValue ?? 0)
        }
        return outcome
    }

    public func isTerminator(_ event: SSEEvent) -> Bool {
        if event.type == "message_stop" { return true }
        return (try? JSONValue.parse(event.data))?["type"]?.stringValue == "message_stop"
    }

    public func continuationRequest(original: JSONValue, partialText: String, style: ContinuationStyle) -> JSONValue {
        var request = original
        var messages = original["messages"]?.arrayValue ?? []
        if let last = messages.last, last["role"]?.stringValue == "assistant" {
            // The request already ended with a prefill the model was continuing: extend it.
            messages[messages.count - 1] = Self.appending(partialText, toAssistant: last)
        } else {
            messages.append(["role": "assistant", "content": .string(partialText)])
        }
        if style == .userMessage {
            messages.append(["role": "user", "content": .string(continuationInstruction)])
        }
        request["messages"] = .array(messages)
        return request
    }
}

extension AnthropicMessagesCodec {
    /// The error a 2xx body that is not JSON gives.
    static let malformedBodyError = OutcomeError(kind: .malformed, status: nil, message: "Invalid JSON in the response body.")

    /// The error a stream event whose data is not JSON gives.
    static let malformedEventError = OutcomeError(kind: .malformed, status: nil, message: "Invalid JSON in the data of a stream event.")

    /// Normalizes a `stop_reason`. `model_context_window_exceeded` is a length stop: generation ran
    /// out of room, as with `max_tokens`. `pause_turn` (a server tool paused the turn) counts as a
    /// stop, the way gateways report it; unknown reasons give nil.
    static func finishReason(stopReason: String) -> FinishReason? {
        switch stopReason {
        case "end_turn", "stop_sequence", "pause_turn": return .stop
        case "max_tokens", "model_context_window_exceeded": return .length
        case "tool_use": return .toolCalls
        case "refusal": return .contentFilter
        default: return nil
        }
    }

    /// The `stop_reason` Anthropic sends for a normalized finish reason.
    static func stopReason(for reason: FinishReason) -> String {
        switch reason {
        case .stop: return "end_turn"
        case .length: return "max_tokens"
        case .toolCalls: return "tool_use"
        case .contentFilter: return "refusal"
        }
    }

    /// Every prompt token of a usage object: uncached input plus cache writes and cache reads.
    /// Nil when the object names none of them.
    static func inputTokens(in usage: JSONValue) -> Int? {
        let parts = ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"].compactMap { usage[$0]?.intValue }
        return parts.isEmpty ? nil : parts.reduce(0) { $0.saturatingAdding($1) }
    }

    /// A tool call's arguments as text: the JSON of its `input` object (compact, keys sorted).
    /// A string input is kept verbatim: that is how a synthesized body carries arguments that
    /// were never valid JSON (a tool call cut mid-stream).
    static func argumentsText(ofInput input: JSONValue?) -> String {
        guard let input else { return "{}" }
        if let text = input.stringValue { return text }
        return JSONWriter.string(input)
    }

    /// The text of a `system` or `content` value: a string, or blocks whose text parts are
    /// joined by newlines, tool calls and results rendered as their JSON.
    static func text(ofContent content: JSONValue) -> String {
        if let text = content.stringValue { return text }
        let pieces = (content.arrayValue ?? []).compactMap { block -> String? in
            switch block["type"]?.stringValue {
            case "text": return block["text"]?.stringValue
            case "tool_use", "tool_result": return JSONWriter.string(block)
            default: return nil  // images, documents, thinking: no text to match or continue
            }
        }
        return pieces.joined(separator: "\n")
    }

    /// An assistant message with more text at its end.
    static func appending(_ text: String, toAssistant message: JSONValue) -> JSONValue {
        var message = message
        switch message["content"] {
        case .string(let existing)?:
            message["content"] = .string(existing + text)
        case .array(var blocks)?:
            if let last = blocks.last, last["type"]?.stringValue == "text", let existing = last["text"]?.stringValue {
                var extended = last
                extended["text"] = .string(existing + text)
                blocks[blocks.count - 1] = extended
            } else {
                blocks.append(["type": "text", "text": .string(text)])
            }
            message["content"] = .array(blocks)
        default:
            message["content"] = .string(text)
        }
        return message
    }

    /// A request path without its query string.
    static func pathWithoutQuery(_ path: String) -> String {
        path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
    }
}
