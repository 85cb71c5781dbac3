import SSE

/// OpenAI Chat Completions (`POST /v1/chat/completions`): requests, streams of
/// `chat.completion.chunk` data frames ended by `data: [DONE]`, `chat.completion` bodies and
/// `{"error":{…}}` errors, over HTTP and in band.
///
/// Conventions where the wire leaves room:
/// - `terminated` is true only for a stream that reached `[DONE]` before any error, or a
///   complete 2xx body; HTTP error outcomes are never terminated.
/// - In-band errors have no status (the HTTP status was 200); their kind comes from the error's
///   code, type and message, and a numeric `code` (OpenRouter, LiteLLM) counts as a status hint.
/// - A body whose status is unknown (nil) is an error when it has a top-level `error`; its status
///   is then the one OpenAI uses for the kind it classifies as.
/// - The reported model is the last non-empty `model` of the stream (the one that answered last).
public struct OpenAIChatCodec: DialectCodec {
    public init() {}

    public var dialect: Dialect { .openAIChat }
    public var encoder: SSEEncoder { SSEEncoder(lineEnding: "\n", namesMessageEvents: false) }

    public func requestView(body: JSONValue, path: String) -> RequestView {
        let turns = (body["messages"]?.arrayValue ?? []).map { message in
            ChatTurn(role: OpenAIContent.normalizedRole(message["role"]?.stringValue), text: Self.text(ofTurn: message))
        }
        return RequestView(
            dialect: dialect, endpoint: OpenAIContent.endpoint(of: path), model: body["model"]?.stringValue,
            stream: body["stream"]?.boolValue ?? false, turns: turns)
    }

    public func makeAccumulator() -> any StreamAccumulator { OpenAIChatAccumulator() }

    public func outcome(fromBody body: [UInt8], status: Int?) -> Outcome {
        if let status, !OpenAIContent.isSuccess(status) {
            return Outcome(dialect: dialect, error: classify(status: status, body: body))
        }
        guard let json = try? JSONValue.parse(body) else {
            return Outcome(dialect: dialect, error: OpenAIErrorCatalog.malformedBodyError(body))
        }
        if OpenAIErrorCatalog.isError(json["error"]) {
            // A 2xx carrying an error (some proxies do this) has no error status; unknown infers one.
            var error = OpenAIErrorCatalog.classify(status: nil, body: body)
            if status != nil { error.status = nil }
            return Outcome(dialect: dialect, error: error)
        }
        return Self.outcome(ofCompletion: json)
    }

    public func isTerminator(_ event: SSEEvent) -> Bool { Self.isDone(event.data) }

    public func classify(status: Int, body: [UInt8]) -> OutcomeError {
        OpenAIErrorCatalog.classify(status: status, body: body)
    }

    public func classify(inBand event: SSEEvent) -> OutcomeError? {
        guard !Self.isDone(event.data), let json = try? JSONValue.parse(event.data) else { return nil }
        return Self.inBandError(in: json)
    }

    public func status(for kind: ErrorKind) -> Int { OpenAIErrorCatalog.shape(for: kind).status }

    public func errorResponse(kind: ErrorKind, message: String?, retryAfter: Int?) -> ProviderErrorResponse {
        OpenAIErrorCatalog.errorResponse(kind: kind, message: message, retryAfter: retryAfter)
    }

    /// A `data: {"error":{…}}` frame, the payload the SDK raises on mid-stream.
    public func inBandErrorEvent(kind: ErrorKind, message: String?) -> SSEEvent {
        SSEEvent(data: JSONWriter.string(["error": OpenAIErrorCatalog.errorObject(kind: kind, message: message)]))
    }

    // MARK: - Shared with the accumulator

    /// Choice indices are read up to OpenAI's own limit for `n`; a larger one is garbage, and
    /// honouring it would grow the choice list without bound.
    static let choiceIndices = 0..<128

    /// True for the `[DONE]` sentinel (the SDK also accepts trailing bytes after it).
    static func isDone(_ data: String) -> Bool { data.hasPrefix("[DONE]") }

    /// The error a data object carries, when it has a non-empty `error` as the SDK checks it.
    static func inBandError(in json: JSONValue) -> OutcomeError? {
        guard OpenAIErrorCatalog.isError(json["error"]) else { return nil }
        let error = json["error"]
        let kind = OpenAIErrorCatalog.kind(status: nil, error: error)
        return OutcomeError(kind: kind, status: nil, message: OpenAIErrorCatalog.message(of: error) ?? kind.defaultMessage)
    }

    /// The normalized finish reason; unknown values (OpenRouter's `error`) are nil.
    static func finishReason(raw: String) -> FinishReason? {
        switch raw {
        case "stop": return .stop
        case "length": return .length
        case "tool_calls", "function_call": return .toolCalls
        case "content_filter": return .contentFilter
        default: return nil
        }
    }

    /// The outcome of a `chat.completion` object.
    static func outcome(ofCompletion json: JSONValue) -> Outcome {
        var outcome = Outcome(dialect: .openAIChat, model: json["model"]?.stringValue, terminated: true)
        var finishes: [(index: Int, reason: FinishReason)] = []
        for (position, choice) in (json["choices"]?.arrayValue ?? []).enumerated() {
            let index = choice["index"]?.intValue ?? position
            guard choiceIndices.contains(index) else { continue }
            let message = choice["message"]
            outcome.append(text: OpenAIContent.text(of: message?["content"]), choice: index)
            outcome.append(text: message?["refusal"]?.stringValue ?? "", choice: index)
            for call in message?["tool_calls"]?.arrayValue ?? [] {
                outcome.toolCalls.append(ToolCall(
                    id: call["id"]?.stringValue ?? "", name: call["function"]?["name"]?.stringValue ?? "",
                    arguments: call["function"]?["arguments"]?.stringValue ?? ""))
            }
            if let reason = choice["finish_reason"]?.stringValue.flatMap(finishReason(raw:)) {
                finishes.append((index, reason))
            }
        }
        outcome.finishReason = finishes.min { $0.index < $1.index }?.reason
        outcome.usage = OpenAIContent.usage(json["usage"])
        return outcome
    }

    /// A request message as one turn: its text, then its tool calls as JSON, one per line.
    private static func text(ofTurn message: JSONValue) -> String {
        var lines = [OpenAIContent.text(of: message["content"])].filter { !$0.isEmpty }
        lines += (message["tool_calls"]?.arrayValue ?? []).map(JSONWriter.string)
        if let call = message["function_call"], !call.isNull { lines.append(JSONWriter.string(call)) }
        return lines.joined(separator: "\n")
    }
}
