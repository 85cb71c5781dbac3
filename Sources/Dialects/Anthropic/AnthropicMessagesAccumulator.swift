import SSE

/// Folds an Anthropic Messages stream into an `Outcome`, as the official SDK's message stream
/// accumulates it: text deltas appended, tool input JSON concatenated, usage totals replaced.
public struct AnthropicMessagesAccumulator: StreamAccumulator {
    /// A `tool_use` block as it arrives: its input is only JSON once every fragment is joined.
    private struct ToolBlock: Sendable {
        var id: String
        var name: String
        /// The `input` of `content_block_start` (normally `{}`), used when no fragment arrives.
        var initialArguments: String
        var partialJSON = ""
    }

    private let codec: AnthropicMessagesCodec
    private var model: String?
    private var text = ""
    /// Tool blocks by content block index, and the indices in the order the blocks started.
    private var toolBlocks: [Int: ToolBlock] = [:]
    private var toolOrder: [Int] = []
    private var finishReason: FinishReason?
    // Usage counters as last reported; each report replaces, never adds (they are running totals).
    private var uncachedInputTokens: Int?
    private var cacheCreationTokens: Int?
    private var cacheReadTokens: Int?
    private var outputTokens: Int?
    private var error: OutcomeError?
    private var terminated = false

    public init(codec: AnthropicMessagesCodec = AnthropicMessagesCodec()) {
        self.codec = codec
    }

    public mutating func consume(_ event: SSEEvent) {
        // A client stops reading at an error or at `message_stop`; later events never reach it.
        guard error == nil, !terminated else { return }
        if event.data.hasPrefix("[DONE]") { return }  // sentinel some proxies add; the SDK skips it
        guard let json = try? JSONValue.parse(event.data) else {
            error = AnthropicMessagesCodec.malformedEventError
            return
        }
        let type = json["type"]?.stringValue ?? event.type
        if type == "error" || event.type == "error" {
            error = codec.error(from: json, status: nil)
            return
        }
        switch type {
        case "message_start":
            let message = json["message"] ?? .null
            model = message["model"]?.stringValue ?? model
            if let usage = message["usage"] { replaceUsage(with: usage) }
        case "content_block_start":
            startBlock(index: json["index"]?.intValue ?? 0, block: json["content_block"] ?? .null)
        case "content_block_delta":
            applyDelta(index: json["index"]?.intValue ?? 0, delta: json["delta"] ?? .null)
        case "message_delta":
            if let reason = json["delta"]?["stop_reason"]?.stringValue {
                finishReason = AnthropicMessagesCodec.finishReason(stopReason: reason)
            }
            if let usage = json["usage"] { replaceUsage(with: usage) }
        case "message_stop":
            terminated = true
        default:
            break  // ping, content_block_stop, and event types added after this was written
        }
    }

    public func outcome() -> Outcome {
        var usage: Usage?
        let inputParts = [uncachedInputTokens, cacheCreationTokens, cacheReadTokens].compactMap { $0 }
        if !inputParts.isEmpty || outputTokens != nil {
            usage = Usage(inputTokens: inputParts.reduce(0) { $0.saturatingAdding($1) }, outputTokens: outputTokens ?? 0)
        }
        let toolCalls = toolOrder.compactMap { toolBlocks[$0] }.map { block in
            ToolCall(id: block.id, name: block.name, arguments: block.partialJSON.isEmpty ? block.initialArguments : block.partialJSON)
        }
        return Outcome(
            dialect: .anthropicMessages, model: model, text: text, toolCalls: toolCalls,
            finishReason: finishReason, usage: usage, error: error, terminated: terminated
        )
    }

    private mutating func startBlock(index: Int, block: JSONValue) {
        switch block["type"]?.stringValue {
        case "text":
            text += block["text"]?.stringValue ?? ""
        case "tool_use":
            if toolBlocks[index] == nil { toolOrder.append(index) }
            toolBlocks[index] = ToolBlock(
                id: block["id"]?.stringValue ?? "",
                name: block["name"]?.stringValue ?? "",
                initialArguments: AnthropicMessagesCodec.argumentsText(ofInput: block["input"])
            )
        default:
            break
        }
    }

    private mutating func applyDelta(index: Int, delta: JSONValue) {
        switch delta["type"]?.stringValue {
        case "text_delta":
            text += delta["text"]?.stringValue ?? ""
        case "input_json_delta":
            toolBlocks[index]?.partialJSON += delta["partial_json"]?.stringValue ?? ""
        default:
            break  // thinking, signature and citation deltas are not answer text
        }
    }

    /// Replaces each counter the usage object carries; absent or null ones keep their value.
    private mutating func replaceUsage(with usage: JSONValue) {
        uncachedInputTokens = usage["input_tokens"]?.intValue ?? uncachedInputTokens
        cacheCreationTokens = usage["cache_creation_input_tokens"]?.intValue ?? cacheCreationTokens
        cacheReadTokens = usage["cache_read_input_tokens"]?.intValue ?? cacheReadTokens
        outputTokens = usage["output_tokens"]?.intValue ?? outputTokens
    }
}
