import SSE

/// The Gemini dialect (`…:generateContent` and `…:streamGenerateContent?alt=sse`): requests,
/// streams, bodies and errors.
public struct GeminiCodec: DialectCodec {
    public init() {}

    public var dialect: Dialect { .gemini }

    /// The candidate indices read; others are ignored (Gemini sends at most 8 candidates).
    static let candidateIndices = 0..<128

    /// Gemini sends bare `data:` lines and ends them with CRLF.
    public var encoder: SSEEncoder { SSEEncoder(lineEnding: "\r\n", namesMessageEvents: false) }

    public func requestView(body: JSONValue, path: String) -> RequestView {
        let endpoint = GeminiEndpoint(path: path)
        var turns: [ChatTurn] = []
        // The REST API accepts both field spellings.
        if let system = body["systemInstruction"] ?? body["system_instruction"], !system.isNull {
            turns.append(ChatTurn(role: "system", text: system.stringValue ?? Self.text(ofParts: system["parts"])))
        }
        for content in body["contents"]?.arrayValue ?? [] {
            turns.append(ChatTurn(role: Self.role(of: content), text: Self.text(ofParts: content["parts"])))
        }
        return RequestView(
            dialect: dialect,
            endpoint: endpoint.path,
            model: endpoint.model ?? body["model"]?.stringValue,
            stream: endpoint.isStream,
            turns: turns
        )
    }

    public func makeAccumulator() -> any StreamAccumulator { GeminiAccumulator(codec: self) }

    public func outcome(fromBody body: [UInt8], status: Int?) -> Outcome {
        let isErrorStatus = status.map { !(200..<300).contains($0) } ?? false
        guard let json = try? JSONValue.parse(body) else {
            if let status, isErrorStatus { return Outcome(dialect: dialect, error: classify(status: status, body: body)) }
            return Outcome(dialect: dialect, error: Self.malformedBodyError)
        }
        if let status, isErrorStatus { return Outcome(dialect: dialect, error: classify(status: status, body: body)) }
        // streamGenerateContent without alt=sse answers with one JSON array of chunks.
        let chunks = json.arrayValue ?? [json]
        if let failed = chunks.first(where: { $0["error"]?.objectValue != nil }) {
            return Outcome(dialect: dialect, error: error(from: failed, httpStatus: failed["error"]?["code"]?.intValue))
        }
        var accumulator = GeminiAccumulator(codec: self)
        for chunk in chunks { accumulator.fold(chunk: chunk) }
        var outcome = accumulator.outcome()
        outcome.terminated = true  // a whole body is complete whether or not it names a finish reason
        return outcome
    }

    public func isTerminator(_ event: SSEEvent) -> Bool {
        guard let json = try? JSONValue.parse(event.data) else { return false }
        if json["promptFeedback"]?["blockReason"]?.stringValue != nil { return true }
        return (json["candidates"]?.arrayValue ?? []).contains { $0["finishReason"]?.stringValue != nil }
    }

    public func continuationRequest(original: JSONValue, partialText: String, style: ContinuationStyle) -> JSONValue {
        var request = original
        var contents = original["contents"]?.arrayValue ?? []
        if let last = contents.last, last["role"]?.stringValue == "model" {
            // The request already ended with a model turn being continued: extend it.
            contents[contents.count - 1] = Self.appending(partialText, toModelContent: last)
        } else {
            contents.append(["role": "model", "parts": [["text": .string(partialText)]]])
        }
        if style == .userMessage {
            contents.append(["role": "user", "parts": [["text": .string(continuationInstruction)]]])
        }
        request["contents"] = .array(contents)
        return request
    }
}

extension GeminiCodec {
    /// The error a 2xx body that is not JSON gives.
    static let malformedBodyError = OutcomeError(kind: .malformed, status: nil, message: "Invalid JSON in the response body.")

    /// The error a stream event whose data is not JSON gives.
    static let malformedEventError = OutcomeError(kind: .malformed, status: nil, message: "Invalid JSON in the data of a stream event.")

    /// Normalizes a `finishReason` (or prompt `blockReason`). `STOP` means tool calls when the
    /// response produced a function call, as OpenAI reports it. `OTHER`, unspecified and unknown
    /// reasons give nil.
    static func finishReason(raw: String, producedFunctionCall: Bool) -> FinishReason? {
        switch raw {
        case "STOP": return producedFunctionCall ? .toolCalls : .stop
        case "MAX_TOKENS": return .length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY":
            return .contentFilter
        default: return nil
        }
    }

    /// The `finishReason` Gemini sends for a normalized one; nil becomes `OTHER`.
    static func rawFinishReason(for reason: FinishReason?) -> String {
        switch reason {
        case .stop?, .toolCalls?: return "STOP"
        case .length?: return "MAX_TOKENS"
        case .contentFilter?: return "SAFETY"
        case nil: return "OTHER"
        }
    }

    /// Usage from `usageMetadata`. Input is `promptTokenCount` (cached tokens are already in it)
    /// plus `toolUsePromptTokenCount`; output is `candidatesTokenCount` plus `thoughtsTokenCount`,
    /// because thinking is billed as output, as reasoning tokens are in OpenAI's and Anthropic's
    /// output counts.
    static func usage(from metadata: JSONValue) -> Usage {
        let count = { (key: String) in metadata[key]?.intValue ?? 0 }
        return Usage(
            inputTokens: count("promptTokenCount").saturatingAdding(count("toolUsePromptTokenCount")),
            outputTokens: count("candidatesTokenCount").saturatingAdding(count("thoughtsTokenCount"))
        )
    }

    /// The id given to the `position`-th function call of a response that carries none.
    static func synthesizedCallID(position: Int, name: String) -> String { "call_\(position)_\(name)" }

    /// A function call's arguments as text: its `args` object as compact sorted-key JSON; a
    /// string `args` is kept verbatim (how a synthesized response carries non-JSON arguments).
    static func argumentsText(ofArgs args: JSONValue?) -> String {
        guard let args, !args.isNull else { return "{}" }
        if let text = args.stringValue { return text }
        return JSONWriter.string(args)
    }

    /// The role a request content plays: `model` is reported as `assistant`, and a user turn
    /// made only of function responses as `tool`.
    static func role(of content: JSONValue) -> String {
        switch content["role"]?.stringValue {
        case "model"?: return "assistant"
        case "function"?, "tool"?: return "tool"
        default:
            let parts = content["parts"]?.arrayValue ?? []
            let onlyResponses = !parts.isEmpty && parts.allSatisfy { $0["functionResponse"] != nil || $0["function_response"] != nil }
            return onlyResponses ? "tool" : "user"
        }
    }

    /// The text of a `parts` list joined by newlines; function calls and responses rendered as
    /// their JSON; thoughts and media left out.
    static func text(ofParts parts: JSONValue?) -> String {
        let pieces = (parts?.arrayValue ?? []).compactMap { part -> String? in
            if part["thought"]?.boolValue == true { return nil }
            if let text = part["text"]?.stringValue { return text }
            let callKeys = ["functionCall", "function_call", "functionResponse", "function_response"]
            if callKeys.contains(where: { part[$0] != nil }) { return JSONWriter.string(part) }
            return nil
        }
        return pieces.joined(separator: "\n")
    }

    /// A model content with more text at its end.
    static func appending(_ text: String, toModelContent content: JSONValue) -> JSONValue {
        var content = content
        var parts = content["parts"]?.arrayValue ?? []
        if let last = parts.last, last["thought"]?.boolValue != true, let existing = last["text"]?.stringValue {
            var extended = last
            extended["text"] = .string(existing + text)
            parts[parts.count - 1] = extended
        } else {
            parts.append(["text": .string(text)])
        }
        content["parts"] = .array(parts)
        return content
    }
}
