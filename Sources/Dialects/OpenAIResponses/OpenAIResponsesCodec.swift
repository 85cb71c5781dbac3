import SSE

/// OpenAI Responses API (`POST /v1/responses`): requests with `instructions` and `input`, streams
/// of named `response.*` events numbered by `sequence_number` and ended by a terminal event,
/// `response` bodies, and errors over HTTP (`{"error":{…}}`, as Chat Completions) and in band.
///
/// Conventions where the wire leaves room:
/// - `terminated` is true for a stream that reached `response.completed`, `response.incomplete`
///   or `response.failed` (the last is a proper end that also sets `error`), or for a 2xx body
///   whose status is terminal (completed, incomplete, failed, cancelled).
/// - The in-band `error` event is accepted flat (`code`, `message` at the top, as the API
///   reference documents) and nested (`error: {type, code, message}`, as the live API sends and
///   the SDK raises on); Tapedeck writes the nested shape. In-band errors have no status.
/// - Finish reasons: completed is `stop`, or `tool_calls` when there are function calls;
///   incomplete is `length` for `max_output_tokens` and `content_filter` for `content_filter`.
/// - Text is every `output_text` (and `refusal`) of every message item, concatenated.
public struct OpenAIResponsesCodec: DialectCodec {
    public init() {}

    public var dialect: Dialect { .openAIResponses }
    public var encoder: SSEEncoder { SSEEncoder(lineEnding: "\n", namesMessageEvents: true) }

    /// The events that properly end a stream.
    static let terminalEvents: Set<String> = ["response.completed", "response.incomplete", "response.failed"]
    /// Response statuses after which nothing more happens.
    static let terminalStatuses: Set<String> = ["completed", "incomplete", "failed", "cancelled"]

    public func requestView(body: JSONValue, path: String) -> RequestView {
        var turns: [ChatTurn] = []
        if let instructions = body["instructions"]?.stringValue, !instructions.isEmpty {
            turns.append(ChatTurn(role: "system", text: instructions))
        }
        switch body["input"] {
        case .string(let text)?: turns.append(ChatTurn(role: "user", text: text))
        case .array(let items)?: turns += items.compactMap(Self.turn(of:))
        default: break
        }
        return RequestView(
            dialect: dialect, endpoint: OpenAIContent.endpoint(of: path), model: body["model"]?.stringValue,
            stream: body["stream"]?.boolValue ?? false, turns: turns)
    }

    public func makeAccumulator() -> any StreamAccumulator { OpenAIResponsesAccumulator() }

    public func outcome(fromBody body: [UInt8], status: Int?) -> Outcome {
        if let status, !OpenAIContent.isSuccess(status) {
            return Outcome(dialect: dialect, error: classify(status: status, body: body))
        }
        guard let json = try? JSONValue.parse(body) else {
            return Outcome(dialect: dialect, error: OpenAIErrorCatalog.malformedBodyError(body))
        }
        // A response object has `error: null` (or its failure) at the top too; only a body that is
        // not a response is an error body.
        if json["object"]?.stringValue != "response" && json["status"] == nil && OpenAIErrorCatalog.isError(json["error"]) {
            var error = OpenAIErrorCatalog.classify(status: nil, body: body)
            if status != nil { error.status = nil }
            return Outcome(dialect: dialect, error: error)
        }
        return Self.outcome(ofResponse: json)
    }

    public func isTerminator(_ event: SSEEvent) -> Bool {
        if Self.terminalEvents.contains(event.type) { return true }
        guard event.type == "message", let json = try? JSONValue.parse(event.data) else { return false }
        return json["type"]?.stringValue.map(Self.terminalEvents.contains) ?? false
    }

    public func classify(status: Int, body: [UInt8]) -> OutcomeError {
        OpenAIErrorCatalog.classify(status: status, body: body)
    }

    public func classify(inBand event: SSEEvent) -> OutcomeError? {
        guard let json = try? JSONValue.parse(event.data) else { return nil }
        let type = json["type"]?.stringValue ?? event.type
        if let error = Self.inBandError(in: json, eventType: type) { return error }
        // A failed response is the stream's own way of reporting an error.
        if type == "response.failed" { return Self.outcome(ofResponse: json["response"] ?? .null).error }
        return nil
    }

    public func status(for kind: ErrorKind) -> Int { OpenAIErrorCatalog.shape(for: kind).status }

    public func errorResponse(kind: ErrorKind, message: String?, retryAfter: Int?) -> ProviderErrorResponse {
        OpenAIErrorCatalog.errorResponse(kind: kind, message: message, retryAfter: retryAfter)
    }

    /// An `error` event in the nested shape, numbered 0: use
    /// `inBandErrorEvent(kind:message:sequenceNumber:)` to continue a stream's numbering.
    public func inBandErrorEvent(kind: ErrorKind, message: String?) -> SSEEvent {
        inBandErrorEvent(kind: kind, message: message, sequenceNumber: 0)
    }

    /// An `error` event in the nested shape (what the live API sends and the SDK raises on),
    /// carrying the given `sequence_number`.
    /// Numbered after the last event sent: Responses streams count `sequence_number` without gaps.
    public func inBandErrorEvent(kind: ErrorKind, message: String?, after sent: [SSEEvent]) -> SSEEvent {
        let last = sent.last { $0.data.contains("sequence_number") }
            .flatMap { try? JSONValue.parse($0.data) }?["sequence_number"]?.intValue
        return inBandErrorEvent(kind: kind, message: message, sequenceNumber: last.map { min($0, Int.max - 1) + 1 } ?? 0)
    }

    public func inBandErrorEvent(kind: ErrorKind, message: String?, sequenceNumber: Int) -> SSEEvent {
        let shape = OpenAIErrorCatalog.shape(for: kind)
        let error: JSONValue = [
            "type": .string(shape.type),
            "code": shape.code.map(JSONValue.string) ?? .null,
            "message": .string(message ?? kind.defaultMessage),
            "param": shape.param.map(JSONValue.string) ?? .null,
        ]
        let data: JSONValue = ["type": "error", "error": error, "sequence_number": .int(sequenceNumber)]
        return SSEEvent(type: "error", data: JSONWriter.string(data))
    }

    // MARK: - Shared with the accumulator

    /// The error an event carries: an `error` event in either shape, or any data object with a
    /// non-empty top-level `error` (what the SDK raises on).
    static func inBandError(in json: JSONValue, eventType type: String) -> OutcomeError? {
        let nested = OpenAIErrorCatalog.isError(json["error"]) ? json["error"] : nil
        guard type == "error" || nested != nil else { return nil }
        // Field by field, nested first: proxies decorate one shape with pieces of the other.
        var fields: [String: JSONValue] = [:]
        for key in ["type", "code", "message", "param"] {
            if let value = nested?[key], !value.isNull {
                fields[key] = value
            } else if key != "type", let value = json[key], !value.isNull {
                fields[key] = value
            }
        }
        if fields["message"] == nil, let text = nested?.stringValue { fields["message"] = .string(text) }
        let error = JSONValue.object(fields)
        let kind = OpenAIErrorCatalog.kind(status: nil, error: error)
        return OutcomeError(kind: kind, status: nil, message: OpenAIErrorCatalog.message(of: error) ?? kind.defaultMessage)
    }

    /// The normalized finish reason of a response object.
    static func finishReason(of response: JSONValue, hasToolCalls: Bool) -> FinishReason? {
        switch response["status"]?.stringValue {
        case "completed": return hasToolCalls ? .toolCalls : .stop
        case "incomplete":
            switch response["incomplete_details"]?["reason"]?.stringValue {
            case "max_output_tokens": return .length
            case "content_filter": return .contentFilter
            default: return nil
            }
        default: return nil
        }
    }

    /// The outcome of a `response` object (a non-stream body, or a terminal event's snapshot).
    static func outcome(ofResponse response: JSONValue) -> Outcome {
        var outcome = Outcome(dialect: .openAIResponses, model: response["model"]?.stringValue)
        for item in response["output"]?.arrayValue ?? [] {
            switch item["type"]?.stringValue {
            case "message":
                for part in item["content"]?.arrayValue ?? [] {
                    outcome.text += part["text"]?.stringValue ?? part["refusal"]?.stringValue ?? ""
                }
            case "function_call":
                outcome.toolCalls.append(ToolCall(
                    id: item["call_id"]?.stringValue ?? item["id"]?.stringValue ?? "",
                    name: item["name"]?.stringValue ?? "", arguments: item["arguments"]?.stringValue ?? ""))
            default:
                break
            }
        }
        let status = response["status"]?.stringValue ?? ""
        outcome.finishReason = finishReason(of: response, hasToolCalls: !outcome.toolCalls.isEmpty)
        outcome.usage = OpenAIContent.usage(response["usage"])
        if status == "failed" {
            let error = response["error"]
            let kind = OpenAIErrorCatalog.kind(status: nil, error: error)
            outcome.error = OutcomeError(
                kind: kind, status: nil, message: OpenAIErrorCatalog.message(of: error) ?? kind.defaultMessage)
        }
        outcome.terminated = terminalStatuses.contains(status)
        return outcome
    }

    /// One `input` item as a turn; reasoning and item references are not turns.
    private static func turn(of item: JSONValue) -> ChatTurn? {
        if let text = item.stringValue { return ChatTurn(role: "user", text: text) }
        let type = item["type"]?.stringValue ?? "message"
        switch type {
        case "message":
            return ChatTurn(role: OpenAIContent.normalizedRole(item["role"]?.stringValue),
                            text: OpenAIContent.text(of: item["content"]))
        case _ where type.hasSuffix("_call_output"):
            let output = item["output"]
            return ChatTurn(role: "tool", text: output?.stringValue ?? output.map(JSONWriter.string) ?? "")
        case _ where type.hasSuffix("_call"):
            return ChatTurn(role: "assistant", text: JSONWriter.string(item))
        default:
            return nil
        }
    }
}
