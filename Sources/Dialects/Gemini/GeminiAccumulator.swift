import SSE

/// Folds a Gemini `alt=sse` stream (each event one `GenerateContentResponse`) into an `Outcome`,
/// as python-genai joins chunks: candidate text appended per index, function calls collected,
/// usage and model taken from the last chunk that has them.
///
/// Gemini sends no terminator. A stream counts as terminated when a chunk carried a
/// `finishReason` (or a prompt `blockReason`) and no later chunk added content; a trailing
/// usage-only chunk keeps it terminated, an error chunk or invalid JSON never is.
public struct GeminiAccumulator: StreamAccumulator {
    private let codec: GeminiCodec
    private var partial = Outcome(dialect: .gemini)
    /// The last raw finish reason seen (`STOP`, `MAX_TOKENS` …, or a prompt block reason).
    private var rawFinishReason: String?
    private var promptBlocked = false
    private var finished = false

    public init(codec: GeminiCodec = GeminiCodec()) {
        self.codec = codec
    }

    public mutating func consume(_ event: SSEEvent) {
        guard partial.error == nil else { return }  // a client stops reading at an error
        guard let json = try? JSONValue.parse(event.data) else {
            partial.error = GeminiCodec.malformedEventError
            return
        }
        if json["error"]?.objectValue != nil {
            partial.error = codec.error(from: json, httpStatus: nil)
            return
        }
        fold(chunk: json)
    }

    public func outcome() -> Outcome {
        var result = partial
        result.terminated = finished && partial.error == nil
        if promptBlocked {
            result.finishReason = .contentFilter
        } else if let raw = rawFinishReason {
            result.finishReason = GeminiCodec.finishReason(raw: raw, producedFunctionCall: !partial.toolCalls.isEmpty)
        }
        return result
    }

    /// Adds one `GenerateContentResponse`: a stream chunk, or a whole non-stream body.
    mutating func fold(chunk: JSONValue) {
        if let version = chunk["modelVersion"]?.stringValue { partial.model = version }
        if let usage = chunk["usageMetadata"], usage.objectValue != nil {
            partial.usage = GeminiCodec.usage(from: usage)
        }
        if let reason = chunk["promptFeedback"]?["blockReason"]?.stringValue {
            rawFinishReason = reason
            promptBlocked = true
            finished = true
        }
        var addedContent = false
        var sawFinish = false
        for (position, candidate) in (chunk["candidates"]?.arrayValue ?? []).enumerated() {
            let choice = candidate["index"]?.intValue ?? position
            // An absurd index would grow the choice list to its size: read only plausible ones.
            guard GeminiCodec.candidateIndices.contains(choice) else { continue }
            for part in candidate["content"]?["parts"]?.arrayValue ?? [] {
                if let call = part["functionCall"] ?? part["function_call"] {
                    partial.toolCalls.append(toolCall(from: call))
                    addedContent = true
                } else if let text = part["text"]?.stringValue, part["thought"]?.boolValue != true {
                    partial.append(text: text, choice: choice)
                    if !text.isEmpty { addedContent = true }
                }
            }
            if let reason = candidate["finishReason"]?.stringValue {
                rawFinishReason = reason
                sawFinish = true
            }
        }
        if sawFinish {
            finished = true
        } else if addedContent {
            finished = false
        }
    }

    /// A function call part as a tool call; Gemini rarely sends ids, so a missing one is
    /// synthesized from the call's position and name (the same for a stream and its body).
    private func toolCall(from call: JSONValue) -> ToolCall {
        let name = call["name"]?.stringValue ?? ""
        let id = call["id"]?.stringValue ?? GeminiCodec.synthesizedCallID(position: partial.toolCalls.count, name: name)
        return ToolCall(id: id, name: name, arguments: GeminiCodec.argumentsText(ofArgs: call["args"]))
    }
}
