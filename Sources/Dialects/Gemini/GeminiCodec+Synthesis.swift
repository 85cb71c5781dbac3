import SSE

/// Builds the non-stream body and the stream Gemini would have sent for an `Outcome`.
///
/// Each choice is a candidate; tool calls go to the first. A function call's id is only written
/// when it differs from the one a reader would synthesize, since Gemini rarely sends ids.
/// Arguments that are not valid JSON travel as a string `args`, so they come back verbatim.
extension GeminiCodec {
    public func body(for outcome: Outcome) -> JSONValue {
        if let error = outcome.error { return errorDocument(kind: error.kind, message: error.message, retryAfter: nil) }
        let candidates = outcome.choices.indices.map { choice -> JSONValue in
            var parts: [JSONValue] = outcome.choices[choice].isEmpty ? [] : [["text": .string(outcome.choices[choice])]]
            if choice == 0 { parts += Self.functionCallParts(for: outcome.toolCalls) }
            var candidate: [String: JSONValue] = [
                "content": ["role": "model", "parts": .array(parts.isEmpty ? [["text": ""]] : parts)],
                "index": .int(choice),
            ]
            if let reason = outcome.finishReason { candidate["finishReason"] = .string(Self.rawFinishReason(for: reason)) }
            return .object(candidate)
        }
        var response: [String: JSONValue] = ["candidates": .array(candidates), "responseId": .string(Self.responseID(for: outcome))]
        if let model = outcome.model { response["modelVersion"] = .string(model) }
        if let usage = outcome.usage { response["usageMetadata"] = Self.usageMetadata(usage, final: true) }
        return .object(response)
    }

    public func streamEvents(for outcome: Outcome) -> [SSEEvent] {
        let pieces = outcome.choices.map { SynthesisPieces.split($0, wordsPerPiece: 8, maxCharacters: 60) }
        let chunkCount = max(1, pieces.map(\.count).max() ?? 0)
        let finishes = outcome.terminated && outcome.error == nil
        var events: [SSEEvent] = []
        for chunkIndex in 0..<chunkCount {
            let isLast = chunkIndex == chunkCount - 1
            var candidates: [JSONValue] = []
            for choice in outcome.choices.indices {
                var parts: [JSONValue] = []
                if chunkIndex < pieces[choice].count { parts.append(["text": .string(pieces[choice][chunkIndex])]) }
                if isLast && choice == 0 { parts += Self.functionCallParts(for: outcome.toolCalls) }
                if parts.isEmpty {
                    guard isLast else { continue }
                    parts = [["text": ""]]  // the closing chunk of an empty candidate still names it
                }
                var candidate: [String: JSONValue] = ["content": ["role": "model", "parts": .array(parts)], "index": .int(choice)]
                if isLast && finishes { candidate["finishReason"] = .string(Self.rawFinishReason(for: outcome.finishReason)) }
                candidates.append(.object(candidate))
            }
            var chunk: [String: JSONValue] = ["candidates": .array(candidates), "responseId": .string(Self.responseID(for: outcome))]
            if let model = outcome.model { chunk["modelVersion"] = .string(model) }
            if let usage = outcome.usage { chunk["usageMetadata"] = Self.usageMetadata(usage, final: isLast) }
            events.append(SSEEvent(data: JSONWriter.string(.object(chunk))))
        }
        if let error = outcome.error { events.append(inBandErrorEvent(kind: error.kind, message: error.message)) }
        return events
    }

    /// `functionCall` parts for tool calls, ids written only where a reader could not rebuild them.
    static func functionCallParts(for calls: [ToolCall]) -> [JSONValue] {
        calls.enumerated().map { position, call in
            var functionCall: [String: JSONValue] = [
                "name": .string(call.name),
                "args": (try? JSONValue.parse(call.arguments)) ?? .string(call.arguments),
            ]
            if call.id != synthesizedCallID(position: position, name: call.name) { functionCall["id"] = .string(call.id) }
            return ["functionCall": .object(functionCall)]
        }
    }

    /// `usageMetadata` as Gemini reports it: mid-stream chunks count only the prompt so far.
    static func usageMetadata(_ usage: Usage, final: Bool) -> JSONValue {
        guard final else { return ["promptTokenCount": .int(usage.inputTokens), "totalTokenCount": .int(usage.inputTokens)] }
        return [
            "promptTokenCount": .int(usage.inputTokens),
            "candidatesTokenCount": .int(usage.outputTokens),
            "totalTokenCount": .int(usage.inputTokens.saturatingAdding(usage.outputTokens)),
        ]
    }

    /// A response id derived from the outcome, so the same outcome always gets the same bytes.
    static func responseID(for outcome: Outcome) -> String {
        SynthesisPieces.token(seed: "\(outcome.model ?? "")|\(outcome.choices.joined(separator: "\u{1F}"))", length: 22)
    }
}
