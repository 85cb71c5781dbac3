import SSE

/// Folds a Responses API stream into an `Outcome`: text from `response.output_text.delta` (and
/// `response.refusal.delta`) in arrival order, tool calls from `function_call` output items with
/// arguments from `response.function_call_arguments.delta`, and model, usage, status and finish
/// reason from the terminal event's `response`.
///
/// The stream is `terminated` at `response.completed`, `response.incomplete` or `response.failed`:
/// a failed response is a proper end of the stream, so it counts, and it also sets `error`
/// (no status: the HTTP status was 200). An `error` event, flat or nested, and invalid JSON stop
/// the accumulator before any terminator, as the client stops there.
public struct OpenAIResponsesAccumulator: StreamAccumulator {
    private var result = Outcome(dialect: .openAIResponses)
    /// Tool calls by output index, and the output index of each item id.
    private var toolCalls: [Int: ToolCall] = [:]
    private var outputIndexOfItem: [String: Int] = [:]
    private var sawStreamedOutput = false
    private var stopped = false

    public init() {}

    public mutating func consume(_ event: SSEEvent) {
        guard !stopped else { return }
        guard let json = try? JSONValue.parse(event.data) else {
            fail(OpenAIErrorCatalog.malformedEventError(event.data))
            return
        }
        let type = json["type"]?.stringValue ?? event.type
        if let error = OpenAIResponsesCodec.inBandError(in: json, eventType: type) {
            fail(error)
            return
        }
        switch type {
        case "response.created", "response.in_progress", "response.queued":
            if let model = json["response"]?["model"]?.stringValue, !model.isEmpty { result.model = model }
        case "response.output_item.added", "response.output_item.done":
            track(item: json["item"], outputIndex: json["output_index"]?.intValue)
        case "response.output_text.delta", "response.refusal.delta":
            result.text += json["delta"]?.stringValue ?? ""
            sawStreamedOutput = true
        case "response.function_call_arguments.delta":
            guard let index = outputIndex(of: json) else { return }
            var call = toolCalls[index] ?? ToolCall(id: "", name: "", arguments: "")
            call.arguments += json["delta"]?.stringValue ?? ""
            toolCalls[index] = call
        case "response.function_call_arguments.done":
            // Only fills in what no delta delivered; the deltas are what the client assembled.
            guard let index = outputIndex(of: json), let arguments = json["arguments"]?.stringValue else { return }
            var call = toolCalls[index] ?? ToolCall(id: "", name: "", arguments: "")
            if call.arguments.isEmpty { call.arguments = arguments }
            toolCalls[index] = call
        case _ where OpenAIResponsesCodec.terminalEvents.contains(type):
            finish(response: json["response"] ?? .null)
        default:
            break
        }
    }

    public func outcome() -> Outcome {
        var outcome = result
        if outcome.toolCalls.isEmpty {
            outcome.toolCalls = toolCalls.keys.sorted().compactMap { toolCalls[$0] }
        }
        return outcome
    }

    /// Records a function call item's id, call id and name (and arguments, if no delta gave any).
    private mutating func track(item: JSONValue?, outputIndex: Int?) {
        guard let item, item["type"]?.stringValue == "function_call" else { return }
        let index = outputIndex ?? item["id"]?.stringValue.flatMap { outputIndexOfItem[$0] } ?? toolCalls.count
        if let id = item["id"]?.stringValue { outputIndexOfItem[id] = index }
        var call = toolCalls[index] ?? ToolCall(id: "", name: "", arguments: "")
        if call.id.isEmpty { call.id = item["call_id"]?.stringValue ?? item["id"]?.stringValue ?? "" }
        if call.name.isEmpty { call.name = item["name"]?.stringValue ?? "" }
        if call.arguments.isEmpty { call.arguments = item["arguments"]?.stringValue ?? "" }
        toolCalls[index] = call
        sawStreamedOutput = true
    }

    private func outputIndex(of json: JSONValue) -> Int? {
        json["output_index"]?.intValue ?? json["item_id"]?.stringValue.flatMap { outputIndexOfItem[$0] }
    }

    /// Takes status, usage, model and error from the terminal snapshot; its output only when the
    /// stream delivered none (a gateway that sends just the final event).
    private mutating func finish(response: JSONValue) {
        let snapshot = OpenAIResponsesCodec.outcome(ofResponse: response)
        if let model = snapshot.model { result.model = model }
        result.usage = snapshot.usage
        result.error = snapshot.error
        if !sawStreamedOutput && result.text.isEmpty {
            result.text = snapshot.text
            result.toolCalls = snapshot.toolCalls
        }
        let hasToolCalls = !toolCalls.isEmpty || !result.toolCalls.isEmpty
        result.finishReason = OpenAIResponsesCodec.finishReason(of: response, hasToolCalls: hasToolCalls)
        result.terminated = true
        stopped = true
    }

    private mutating func fail(_ error: OutcomeError) {
        result.error = error
        stopped = true
    }
}
