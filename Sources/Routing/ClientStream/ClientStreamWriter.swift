import Dialects
import SSE

/// Writes a client's event stream incrementally, in the client's dialect: an opening (held back
/// by the router until the first content), content pieces as they arrive, and a closing that
/// carries the final finish reason, model and combined usage, terminator included.
protocol ClientStreamWriter: Sendable {
    /// The events that open the stream (role chunk, `message_start`, `response.created`, …).
    mutating func opening(model: String) -> [SSEEvent]
    mutating func text(_ piece: String, model: String) -> [SSEEvent]
    /// A tool call begins; `index` counts the calls of the answer from 0.
    mutating func toolCallStarted(index: Int, id: String, name: String, model: String) -> [SSEEvent]
    mutating func toolCallArguments(index: Int, piece: String, model: String) -> [SSEEvent]
    /// The events that end a successful stream, for the final answer.
    mutating func closing(outcome: Outcome) -> [SSEEvent]
    /// The in-band error that ends a stream the router gave up on after content was sent.
    mutating func error(_ error: OutcomeError) -> [SSEEvent]
}

/// The writer for a client dialect.
enum ClientStreamWriters {
    static func make(dialect: Dialect, requestID: String, created: Int, includeUsage: Bool) -> any ClientStreamWriter {
        switch dialect {
        case .openAIChat:
            return OpenAIChatStreamWriter(id: "chatcmpl-\(requestID)", created: created, includeUsage: includeUsage)
        case .openAIResponses:
            return OpenAIResponsesStreamWriter(responseID: "resp_\(requestID)", created: created)
        case .anthropicMessages, .gemini:
            return AnthropicStreamWriter(messageID: "msg_\(requestID)")
        }
    }
}

/// Chat Completions chunks ending with `data: [DONE]`.
struct OpenAIChatStreamWriter: ClientStreamWriter {
    let id: String
    let created: Int
    /// Whether the client asked for the usage chunk (`stream_options.include_usage`).
    let includeUsage: Bool

    mutating func opening(model: String) -> [SSEEvent] {
        [chunk(model: model, delta: ["role": "assistant", "content": ""])]
    }

    mutating func text(_ piece: String, model: String) -> [SSEEvent] {
        [chunk(model: model, delta: ["content": .string(piece)])]
    }

    mutating func toolCallStarted(index: Int, id: String, name: String, model: String) -> [SSEEvent] {
        let call: JSONValue = [
            "index": .int(index), "id": .string(id), "type": "function",
            "function": ["name": .string(name), "arguments": ""],
        ]
        return [chunk(model: model, delta: ["tool_calls": [call]])]
    }

    mutating func toolCallArguments(index: Int, piece: String, model: String) -> [SSEEvent] {
        [chunk(model: model, delta: ["tool_calls": [["index": .int(index), "function": ["arguments": .string(piece)]]]])]
    }

    mutating func closing(outcome: Outcome) -> [SSEEvent] {
        let model = outcome.model ?? ""
        var events = [chunk(model: model, delta: [:], finishReason: .string(Self.raw(outcome.finishReason ?? .stop)))]
        if includeUsage {
            let usage = outcome.usage ?? Usage(inputTokens: 0, outputTokens: 0)
            let data: JSONValue = [
                "id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
                "choices": [],
                "usage": [
                    "prompt_tokens": .int(usage.inputTokens), "completion_tokens": .int(usage.outputTokens),
                    "total_tokens": .int(usage.inputTokens + usage.outputTokens),
                ],
            ]
            events.append(SSEEvent(data: JSONWriter.string(data)))
        }
        events.append(SSEEvent(data: "[DONE]"))
        return events
    }

    mutating func error(_ error: OutcomeError) -> [SSEEvent] {
        [OpenAIChatCodec().inBandErrorEvent(kind: error.kind, message: error.message)]
    }

    private func chunk(model: String, delta: JSONValue, finishReason: JSONValue = .null) -> SSEEvent {
        let data: JSONValue = [
            "id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
            "choices": [["index": 0, "delta": delta, "logprobs": .null, "finish_reason": finishReason]],
        ]
        return SSEEvent(data: JSONWriter.string(data))
    }

    static func raw(_ reason: FinishReason) -> String {
        switch reason {
        case .stop: return "stop"
        case .length: return "length"
        case .toolCalls: return "tool_calls"
        case .contentFilter: return "content_filter"
        }
    }
}

/// Anthropic Messages events: `message_start`, content blocks, `message_delta`, `message_stop`.
struct AnthropicStreamWriter: ClientStreamWriter {
    let messageID: String
    private var blockIndex = -1
    private var openBlock: OpenBlock = .none

    private enum OpenBlock: Sendable {
        case none
        case text
        case tool
    }

    init(messageID: String) {
        self.messageID = messageID
    }

    mutating func opening(model: String) -> [SSEEvent] {
        let message: JSONValue = [
            "id": .string(messageID), "type": "message", "role": "assistant", "model": .string(model), "content": [],
            "stop_reason": .null, "stop_sequence": .null, "usage": ["input_tokens": 0, "output_tokens": 0],
        ]
        return [event("message_start", ["message": message])]
    }

    mutating func text(_ piece: String, model: String) -> [SSEEvent] {
        var events: [SSEEvent] = []
        if case .text = openBlock {} else {
            events += closeBlock()
            blockIndex += 1
            openBlock = .text
            events.append(event("content_block_start", ["index": .int(blockIndex), "content_block": ["type": "text", "text": ""]]))
        }
        events.append(event("content_block_delta", ["index": .int(blockIndex), "delta": ["type": "text_delta", "text": .string(piece)]]))
        return events
    }

    mutating func toolCallStarted(index: Int, id: String, name: String, model: String) -> [SSEEvent] {
        var events = closeBlock()
        blockIndex += 1
        openBlock = .tool
        let block: JSONValue = ["type": "tool_use", "id": .string(id), "name": .string(name), "input": [:]]
        events.append(event("content_block_start", ["index": .int(blockIndex), "content_block": block]))
        return events
    }

    mutating func toolCallArguments(index: Int, piece: String, model: String) -> [SSEEvent] {
        [event("content_block_delta", ["index": .int(blockIndex), "delta": ["type": "input_json_delta", "partial_json": .string(piece)]])]
    }

    mutating func closing(outcome: Outcome) -> [SSEEvent] {
        var events = closeBlock()
        let usage = outcome.usage ?? Usage(inputTokens: 0, outputTokens: 0)
        events.append(event("message_delta", [
            "delta": ["stop_reason": .string(Self.stopReason(outcome.finishReason)), "stop_sequence": .null],
            "usage": ["input_tokens": .int(usage.inputTokens), "output_tokens": .int(usage.outputTokens)],
        ]))
        events.append(event("message_stop", [:]))
        return events
    }

    mutating func error(_ error: OutcomeError) -> [SSEEvent] {
        [AnthropicMessagesCodec().inBandErrorEvent(kind: error.kind, message: error.message)]
    }

    private mutating func closeBlock() -> [SSEEvent] {
        if case .none = openBlock { return [] }
        openBlock = .none
        return [event("content_block_stop", ["index": .int(blockIndex)])]
    }

    private func event(_ type: String, _ fields: [String: JSONValue]) -> SSEEvent {
        var data = fields
        data["type"] = .string(type)
        return SSEEvent(type: type, data: JSONWriter.string(.object(data)))
    }

    static func stopReason(_ reason: FinishReason?) -> String {
        switch reason {
        case .stop?, nil: return "end_turn"
        case .length?: return "max_tokens"
        case .toolCalls?: return "tool_use"
        case .contentFilter?: return "refusal"
        }
    }
}
