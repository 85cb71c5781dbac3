import SSE

/// Synthesized Responses bodies and streams. Ids and timestamps are derived from the content, so
/// the same outcome always gives the same bytes.
///
/// A stream is `response.created`, `response.in_progress`, then a message item (when there is
/// text, or nothing else) with `output_item.added`, `content_part.added`, word-sized
/// `output_text.delta`s, `output_text.done`, `content_part.done`, `output_item.done`; then each
/// tool call as a `function_call` item with `function_call_arguments.delta`s and `.done`; then the
/// terminal event carrying the same `response` that `body(for:)` gives. `sequence_number` runs
/// from 0 without gaps. An error outcome ends with `response.failed` when it was terminated, or
/// with a nested `error` event when not. Only the first choice is expressible in this dialect.
extension OpenAIResponsesCodec {
    public func body(for outcome: Outcome) -> JSONValue {
        if let error = outcome.error, !outcome.terminated {
            return ["error": OpenAIErrorCatalog.errorObject(kind: error.kind, message: error.message)]
        }
        let ids = SynthesizedIDs(outcome)
        return response(for: outcome, ids: ids, status: Self.finalStatus(of: outcome), output: output(for: outcome, ids: ids))
    }

    public func streamEvents(for outcome: Outcome) -> [SSEEvent] {
        let ids = SynthesizedIDs(outcome)
        var events: [SSEEvent] = []
        func emit(_ type: String, _ fields: [String: JSONValue]) {
            var data = fields
            data["type"] = .string(type)
            data["sequence_number"] = .int(events.count)
            events.append(SSEEvent(type: type, data: JSONWriter.string(.object(data))))
        }
        let snapshot = response(for: outcome, ids: ids, status: "in_progress", output: [])
        emit("response.created", ["response": snapshot])
        emit("response.in_progress", ["response": snapshot])

        let finalOutput = output(for: outcome, ids: ids)
        for (outputIndex, item) in finalOutput.enumerated() {
            let itemID = item["id"] ?? .null
            let position: [String: JSONValue] = ["item_id": itemID, "output_index": .int(outputIndex)]
            var opened = item
            opened["status"] = "in_progress"
            if item["type"]?.stringValue == "message" {
                opened["content"] = []
                emit("response.output_item.added", ["output_index": .int(outputIndex), "item": opened])
                let text = item["content"]?[0]?["text"]?.stringValue ?? ""
                var part = item["content"]?[0] ?? .null
                part["text"] = ""
                emit("response.content_part.added", position.merging(["content_index": 0, "part": part]) { $1 })
                for piece in OpenAITextDeltas.split(text) {
                    emit("response.output_text.delta",
                         position.merging(["content_index": 0, "delta": .string(piece), "logprobs": []]) { $1 })
                }
                emit("response.output_text.done",
                     position.merging(["content_index": 0, "text": .string(text), "logprobs": []]) { $1 })
                emit("response.content_part.done",
                     position.merging(["content_index": 0, "part": item["content"]?[0] ?? .null]) { $1 })
            } else {
                let arguments = item["arguments"]?.stringValue ?? ""
                opened["arguments"] = ""
                emit("response.output_item.added", ["output_index": .int(outputIndex), "item": opened])
                for piece in OpenAITextDeltas.split(arguments) {
                    emit("response.function_call_arguments.delta", position.merging(["delta": .string(piece)]) { $1 })
                }
                emit("response.function_call_arguments.done", position.merging(["arguments": .string(arguments)]) { $1 })
            }
            emit("response.output_item.done", ["output_index": .int(outputIndex), "item": item])
        }

        if let error = outcome.error, !outcome.terminated {
            events.append(inBandErrorEvent(kind: error.kind, message: error.message, sequenceNumber: events.count))
            return events
        }
        let status = Self.finalStatus(of: outcome)
        let terminal = status == "failed" ? "response.failed" : status == "incomplete" ? "response.incomplete" : "response.completed"
        emit(terminal, ["response": response(for: outcome, ids: ids, status: status, output: finalOutput)])
        return events
    }

    /// The ids one synthesized response uses throughout.
    private struct SynthesizedIDs {
        var response: String
        var message: String
        var functionCalls: [String]

        init(_ outcome: Outcome) {
            let seed = outcome.text + "\u{1}" + (outcome.model ?? "") + outcome.toolCalls.map(\.id).joined()
            response = OpenAISyntheticID.make(prefix: "resp_", seed: seed)
            message = OpenAISyntheticID.make(prefix: "msg_", seed: seed)
            functionCalls = outcome.toolCalls.map { OpenAISyntheticID.make(prefix: "fc_", seed: seed + $0.id) }
        }
    }

    private static func finalStatus(of outcome: Outcome) -> String {
        if outcome.error != nil { return "failed" }
        switch outcome.finishReason {
        case .length?, .contentFilter?: return "incomplete"
        default: return "completed"
        }
    }

    /// The finished output items: a message (if there is text, or nothing else), then tool calls.
    private func output(for outcome: Outcome, ids: SynthesizedIDs) -> [JSONValue] {
        let itemStatus: JSONValue = Self.finalStatus(of: outcome) == "incomplete" ? "incomplete" : "completed"
        var items: [JSONValue] = []
        if !outcome.text.isEmpty || outcome.toolCalls.isEmpty {
            items.append([
                "id": .string(ids.message), "type": "message", "status": itemStatus, "role": "assistant",
                "content": [["type": "output_text", "annotations": [], "logprobs": [], "text": .string(outcome.text)]],
            ])
        }
        for (call, id) in zip(outcome.toolCalls, ids.functionCalls) {
            items.append([
                "id": .string(id), "type": "function_call", "status": "completed",
                "arguments": .string(call.arguments), "call_id": .string(call.id), "name": .string(call.name),
            ])
        }
        return items
    }

    /// A `response` object as the API returns it, with the request echo fields at their defaults.
    private func response(for outcome: Outcome, ids: SynthesizedIDs, status: String, output: [JSONValue]) -> JSONValue {
        var response: JSONValue = [
            "id": .string(ids.response), "object": "response", "created_at": .int(OpenAISyntheticID.createdAt),
            "status": .string(status), "background": false, "error": nil, "incomplete_details": nil,
            "instructions": nil, "max_output_tokens": nil, "output": .array(output), "parallel_tool_calls": true,
            "previous_response_id": nil, "reasoning": ["effort": nil, "summary": nil], "store": true,
            "temperature": 1.0, "text": ["format": ["type": "text"]], "tool_choice": "auto", "tools": [],
            "top_p": 1.0, "truncation": "disabled", "usage": nil, "user": nil, "metadata": [:],
        ]
        if let model = outcome.model { response["model"] = .string(model) }
        guard status != "in_progress" else { return response }
        if let usage = outcome.usage { response["usage"] = Self.usageObject(usage) }
        if status == "incomplete" {
            response["incomplete_details"] = ["reason": outcome.finishReason == .length ? "max_output_tokens" : "content_filter"]
        }
        if status == "failed", let error = outcome.error {
            let shape = OpenAIErrorCatalog.shape(for: error.kind)
            response["error"] = ["code": .string(shape.code ?? shape.type), "message": .string(error.message)]
        }
        return response
    }

    /// A usage object with the detail fields OpenAI always sends, zeroed.
    static func usageObject(_ usage: Usage) -> JSONValue {
        [
            "input_tokens": .int(usage.inputTokens), "input_tokens_details": ["cached_tokens": 0],
            "output_tokens": .int(usage.outputTokens), "output_tokens_details": ["reasoning_tokens": 0],
            "total_tokens": .int(usage.inputTokens + usage.outputTokens),
        ]
    }
}
