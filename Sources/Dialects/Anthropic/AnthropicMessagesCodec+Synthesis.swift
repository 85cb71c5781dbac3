import SSE

/// Builds the non-stream body and the stream Anthropic would have sent for an `Outcome`.
///
/// Only the first choice is carried (Anthropic has one). Tool arguments that are valid JSON
/// travel as the `input` object, so a body gives them back in compact sorted-key form; the
/// stream carries them verbatim as `input_json_delta` fragments.
extension AnthropicMessagesCodec {
    public func body(for outcome: Outcome) -> JSONValue {
        if let error = outcome.error { return errorDocument(kind: error.kind, message: error.message) }
        var message: [String: JSONValue] = [
            "id": .string(Self.messageID(for: outcome)),
            "type": "message",
            "role": "assistant",
            "content": .array(Self.contentBlocks(for: outcome)),
            "stop_reason": outcome.finishReason.map { .string(Self.stopReason(for: $0)) } ?? .null,
            "stop_sequence": .null,
        ]
        if let model = outcome.model { message["model"] = .string(model) }
        // Anthropic always reports usage, and its SDK relies on it: an outcome without usage
        // (from a provider that sent none) is rendered as zero tokens.
        let usage = outcome.usage ?? Usage(inputTokens: 0, outputTokens: 0)
        message["usage"] = Self.usageObject(input: usage.inputTokens, output: usage.outputTokens)
        return .object(message)
    }

    public func streamEvents(for outcome: Outcome) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var start: [String: JSONValue] = [
            "id": .string(Self.messageID(for: outcome)),
            "type": "message",
            "role": "assistant",
            "content": [],
            "stop_reason": .null,
            "stop_sequence": .null,
        ]
        if let model = outcome.model { start["model"] = .string(model) }
        let usage = outcome.usage ?? Usage(inputTokens: 0, outputTokens: 0)
        // message_start counts the first output token only; message_delta carries the total.
        // A stream that ends in an error never gets that far, so it starts with the total.
        let early = outcome.error == nil ? min(usage.outputTokens, 1) : usage.outputTokens
        start["usage"] = Self.usageObject(input: usage.inputTokens, output: early)
        events.append(Self.event(["type": "message_start", "message": .object(start)]))

        var index = 0
        if !outcome.text.isEmpty {
            events.append(Self.event(["type": "content_block_start", "index": .int(index), "content_block": ["type": "text", "text": ""]]))
            events.append(Self.event(["type": "ping"]))
            for piece in SynthesisPieces.split(outcome.text, wordsPerPiece: 3, maxCharacters: 24) {
                events.append(Self.event([
                    "type": "content_block_delta", "index": .int(index),
                    "delta": ["type": "text_delta", "text": .string(piece)],
                ]))
            }
            events.append(Self.event(["type": "content_block_stop", "index": .int(index)]))
            index += 1
        }
        for call in outcome.toolCalls {
            events.append(Self.event([
                "type": "content_block_start", "index": .int(index),
                "content_block": ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": [:]],
            ]))
            for piece in [""] + SynthesisPieces.split(call.arguments, wordsPerPiece: 2, maxCharacters: 12) {
                events.append(Self.event([
                    "type": "content_block_delta", "index": .int(index),
                    "delta": ["type": "input_json_delta", "partial_json": .string(piece)],
                ]))
            }
            events.append(Self.event(["type": "content_block_stop", "index": .int(index)]))
            index += 1
        }

        if let error = outcome.error {
            events.append(inBandErrorEvent(kind: error.kind, message: error.message))
            return events
        }
        var delta: [String: JSONValue] = [
            "type": "message_delta",
            "delta": ["stop_reason": outcome.finishReason.map { .string(Self.stopReason(for: $0)) } ?? .null, "stop_sequence": .null],
        ]
        delta["usage"] = ["output_tokens": .int(usage.outputTokens)]
        events.append(Self.event(.object(delta)))
        if outcome.terminated { events.append(Self.event(["type": "message_stop"])) }
        return events
    }

    /// An event named after its JSON `type`, as Anthropic sends every event.
    static func event(_ payload: JSONValue) -> SSEEvent {
        SSEEvent(type: payload["type"]?.stringValue ?? "message", data: JSONWriter.string(payload))
    }

    /// Content blocks for an outcome: its text, then its tool calls.
    static func contentBlocks(for outcome: Outcome) -> [JSONValue] {
        var blocks: [JSONValue] = []
        if !outcome.text.isEmpty { blocks.append(["type": "text", "text": .string(outcome.text)]) }
        for call in outcome.toolCalls {
            let input = (try? JSONValue.parse(call.arguments)) ?? .string(call.arguments)
            blocks.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
        }
        return blocks
    }

    /// A usage object with every input token reported as uncached.
    static func usageObject(input: Int, output: Int) -> JSONValue {
        ["input_tokens": .int(input), "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": .int(output)]
    }

    /// A message id derived from the outcome, so the same outcome always gets the same stream.
    static func messageID(for outcome: Outcome) -> String {
        let seed = "\(outcome.model ?? "")|\(outcome.text)|\(outcome.toolCalls.map(\.id).joined(separator: ","))"
        return "msg_01" + SynthesisPieces.token(seed: seed, length: 22)
    }
}
