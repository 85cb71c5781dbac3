import SSE

/// Synthesized Chat Completions bodies and streams. Ids and timestamps are derived from the
/// content, so the same outcome always gives the same bytes.
///
/// A stream is: per choice, a role chunk (merged with the first tool call fragment when there is
/// no text, as OpenAI sends it); content in word-sized deltas; each tool call as a header
/// fragment (`id`, `type`, `name`, empty `arguments`) then argument pieces; a finish chunk per
/// choice; a usage chunk with `choices: []` when usage is known (and then `usage: null` on every
/// other chunk, as `stream_options.include_usage` does); `[DONE]`. An error outcome stops after its
/// content with the in-band error frame and no `[DONE]`. Tool calls all belong to choice 0.
extension OpenAIChatCodec {
    public func body(for outcome: Outcome) -> JSONValue {
        if let error = outcome.error {
            return ["error": OpenAIErrorCatalog.errorObject(kind: error.kind, message: error.message)]
        }
        let choices: [JSONValue] = outcome.choices.indices.map { index in
            var message: JSONValue = [
                "role": "assistant", "refusal": nil, "annotations": [],
                "content": outcome.choices[index].isEmpty && index == 0 && !outcome.toolCalls.isEmpty
                    ? .null : .string(outcome.choices[index]),
            ]
            if index == 0 && !outcome.toolCalls.isEmpty {
                message["tool_calls"] = .array(outcome.toolCalls.map { call in
                    ["id": .string(call.id), "type": "function",
                     "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
                })
            }
            return [
                "index": .int(index), "message": message, "logprobs": nil,
                "finish_reason": outcome.finishReason.map { .string($0.rawValue) } ?? .null,
            ]
        }
        var body = header(for: outcome, object: "chat.completion")
        body["choices"] = .array(choices)
        if let usage = outcome.usage { body["usage"] = Self.usageObject(usage) }
        return body
    }

    public func streamEvents(for outcome: Outcome) -> [SSEEvent] {
        var chunks: [JSONValue] = []
        let base = header(for: outcome, object: "chat.completion.chunk")
        let reportsUsage = outcome.usage != nil && outcome.error == nil
        func chunk(choice index: Int, delta: JSONValue, finish: FinishReason? = nil) -> JSONValue {
            var chunk = base
            chunk["choices"] = [[
                "index": .int(index), "delta": delta, "logprobs": nil,
                "finish_reason": finish.map { .string($0.rawValue) } ?? .null,
            ]]
            if reportsUsage { chunk["usage"] = .null }
            return chunk
        }
        for (index, text) in outcome.choices.enumerated() {
            let calls = index == 0 ? outcome.toolCalls : []
            let role: JSONValue = ["role": "assistant", "content": text.isEmpty && !calls.isEmpty ? .null : "", "refusal": nil]
            var pending: JSONValue? = role
            for piece in OpenAITextDeltas.split(text) {
                if let role = pending { chunks.append(chunk(choice: index, delta: role)); pending = nil }
                chunks.append(chunk(choice: index, delta: ["content": .string(piece)]))
            }
            for (callIndex, call) in calls.enumerated() {
                var header: JSONValue = ["tool_calls": [[
                    "index": .int(callIndex), "id": .string(call.id), "type": "function",
                    "function": ["name": .string(call.name), "arguments": ""],
                ]]]
                if let role = pending {
                    // OpenAI puts the role on the first tool fragment when no text came before it.
                    header["role"] = role["role"]
                    header["content"] = role["content"]
                    header["refusal"] = .some(.null)
                    pending = nil
                }
                chunks.append(chunk(choice: index, delta: header))
                for piece in OpenAITextDeltas.split(call.arguments) {
                    chunks.append(chunk(choice: index, delta: ["tool_calls": [[
                        "index": .int(callIndex), "function": ["arguments": .string(piece)],
                    ]]]))
                }
            }
            if let role = pending { chunks.append(chunk(choice: index, delta: role)) }
        }
        if let error = outcome.error {
            return chunks.map { SSEEvent(data: JSONWriter.string($0)) }
                + [inBandErrorEvent(kind: error.kind, message: error.message)]
        }
        if let finish = outcome.finishReason {
            for index in outcome.choices.indices { chunks.append(chunk(choice: index, delta: [:], finish: finish)) }
        }
        if let usage = outcome.usage {
            var last = base
            last["choices"] = []
            last["usage"] = Self.usageObject(usage)
            chunks.append(last)
        }
        return chunks.map { SSEEvent(data: JSONWriter.string($0)) } + [SSEEvent(data: "[DONE]")]
    }

    /// The fields every body and chunk of one synthesized response share.
    private func header(for outcome: Outcome, object: String) -> JSONValue {
        let seed = outcome.choices.joined(separator: "\u{1}") + (outcome.model ?? "")
            + outcome.toolCalls.map(\.id).joined()
        var header: JSONValue = [
            "id": .string(OpenAISyntheticID.make(prefix: "chatcmpl-", seed: seed)),
            "object": .string(object),
            "created": .int(OpenAISyntheticID.createdAt),
            "service_tier": "default",
            // OpenAI's fingerprints are `fp_` and ten hex digits.
            "system_fingerprint": .string(String(OpenAISyntheticID.make(prefix: "fp_", seed: outcome.model ?? "").prefix(13))),
        ]
        if let model = outcome.model { header["model"] = .string(model) }
        return header
    }

    /// A usage object with the detail fields OpenAI always sends, zeroed.
    static func usageObject(_ usage: Usage) -> JSONValue {
        [
            "prompt_tokens": .int(usage.inputTokens),
            "completion_tokens": .int(usage.outputTokens),
            "total_tokens": .int(usage.inputTokens + usage.outputTokens),
            "prompt_tokens_details": ["cached_tokens": 0, "audio_tokens": 0],
            "completion_tokens_details": [
                "reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
            ],
        ]
    }
}
