import SSE

/// Folds a Chat Completions stream into an `Outcome` the way the official SDK reconstructs one:
/// content concatenated per choice index, tool calls grouped by index with id, type and name from
/// the first fragment and arguments concatenated, the last non-null finish reason, usage from the
/// usage chunk (the last one wins when a gateway repeats it).
///
/// The SDK stops reading at `[DONE]` and raises on invalid JSON or a data object with an `error`
/// key, so the accumulator stops at the first of these too: an error stream is never
/// `terminated`, even if `[DONE]` follows. `refusal` deltas are kept as the choice's text because
/// that is what the client shows instead of content.
public struct OpenAIChatAccumulator: StreamAccumulator {
    private var result = Outcome(dialect: .openAIChat)
    private var toolCalls: [ToolCallSlot: ToolCall] = [:]
    /// The last non-null raw finish reason of each choice.
    private var finishReasons: [Int: String] = [:]
    /// Set at `[DONE]` or the first error: the client reads no further.
    private var stopped = false

    /// Where a tool call lives in a stream: its choice, then its own index.
    private struct ToolCallSlot: Hashable, Comparable {
        var choice: Int
        var index: Int
        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.choice, lhs.index) < (rhs.choice, rhs.index) }
    }

    public init() {}

    public mutating func consume(_ event: SSEEvent) {
        guard !stopped else { return }
        if OpenAIChatCodec.isDone(event.data) {
            result.terminated = true
            stopped = true
            return
        }
        guard let chunk = try? JSONValue.parse(event.data) else {
            fail(OpenAIErrorCatalog.malformedEventError(event.data))
            return
        }
        if let error = OpenAIChatCodec.inBandError(in: chunk) {
            fail(error)
            return
        }
        if let model = chunk["model"]?.stringValue, !model.isEmpty { result.model = model }
        if let usage = OpenAIContent.usage(chunk["usage"]) { result.usage = usage }
        for (position, choice) in (chunk["choices"]?.arrayValue ?? []).enumerated() {
            let index = choice["index"]?.intValue ?? position
            if OpenAIChatCodec.choiceIndices.contains(index) { consume(choice: choice, index: index) }
        }
    }

    public func outcome() -> Outcome {
        var outcome = result
        outcome.toolCalls = toolCalls.keys.sorted().compactMap { toolCalls[$0] }
        outcome.finishReason = finishReasons.keys.sorted().lazy
            .compactMap { self.finishReasons[$0].flatMap(OpenAIChatCodec.finishReason(raw:)) }.first
        return outcome
    }

    private mutating func consume(choice: JSONValue, index: Int) {
        // Grows the choice list even for a role-only delta, as a body lists every choice.
        result.append(text: "", choice: index)
        let delta = choice["delta"]
        if let content = delta?["content"]?.stringValue { result.append(text: content, choice: index) }
        if let refusal = delta?["refusal"]?.stringValue { result.append(text: refusal, choice: index) }
        for (position, fragment) in (delta?["tool_calls"]?.arrayValue ?? []).enumerated() {
            let slot = ToolCallSlot(choice: index, index: fragment["index"]?.intValue ?? position)
            var call = toolCalls[slot] ?? ToolCall(id: "", name: "", arguments: "")
            if call.id.isEmpty, let id = fragment["id"]?.stringValue { call.id = id }
            if call.name.isEmpty, let name = fragment["function"]?["name"]?.stringValue { call.name = name }
            if let piece = fragment["function"]?["arguments"]?.stringValue { call.arguments += piece }
            toolCalls[slot] = call
        }
        if let reason = choice["finish_reason"]?.stringValue { finishReasons[index] = reason }
    }

    private mutating func fail(_ error: OutcomeError) {
        result.error = error
        stopped = true
    }
}
