import Foundation
import SSE
import Testing

@testable import Dialects

private let fixtures = FixtureFolder.anthropicMessages
private let codec = AnthropicMessagesCodec()

private func events(_ payloads: [JSONValue]) -> [SSEEvent] {
    payloads.map { SSEEvent(type: $0["type"]?.stringValue ?? "message", data: JSONWriter.string($0)) }
}

private func accumulate(_ events: [SSEEvent]) -> Outcome {
    var accumulator = codec.makeAccumulator()
    for event in events { accumulator.consume(event) }
    return accumulator.outcome()
}

extension AnthropicMessagesTests {
    /// Hand-built outcomes covering what the fixtures do not: no usage, no model, tool calls only,
    /// Unicode, one long word, an empty answer.
    static let handBuiltOutcomes: [Outcome] = [
        Outcome(dialect: .anthropicMessages, model: "claude-sonnet-4-5", text: "Hi.", finishReason: .stop,
                usage: Usage(inputTokens: 3, outputTokens: 2), terminated: true),
        // Anthropic always reports usage: an outcome without it is rendered (and read back) as zero tokens.
        Outcome(dialect: .anthropicMessages, text: "No model here, only words.", finishReason: .stop,
                usage: Usage(inputTokens: 0, outputTokens: 0), terminated: true),
        Outcome(dialect: .anthropicMessages, model: "claude-haiku-4-5",
                toolCalls: [ToolCall(id: "toolu_A", name: "lookup", arguments: #"{"limit":5,"q":"tapedeck"}"#),
                            ToolCall(id: "toolu_B", name: "noop", arguments: "{}")],
                finishReason: .toolCalls, usage: Usage(inputTokens: 100, outputTokens: 40), terminated: true),
        Outcome(dialect: .anthropicMessages, model: "m", text: "Ünïcödé — 日本語のテキスト 🎉\nline two\r\n\ttabbed \"quoted\" \\ backslash",
                finishReason: .length, usage: Usage(inputTokens: 1, outputTokens: 0), terminated: true),
        Outcome(dialect: .anthropicMessages, model: "m", text: String(repeating: "x", count: 200), finishReason: .contentFilter,
                usage: Usage(inputTokens: 7, outputTokens: 50), terminated: true),
        Outcome(dialect: .anthropicMessages, model: "m", text: "", finishReason: .stop, usage: Usage(inputTokens: 5, outputTokens: 0), terminated: true),
    ]
}

@Suite("Anthropic Messages dialect")
struct AnthropicMessagesTests {
    @Test("an outcome without usage is rendered with zero usage, as Anthropic always reports it")
    func usageAlwaysPresent() throws {
        let outcome = Outcome(dialect: .anthropicMessages, model: "m", text: "hi", finishReason: .stop, terminated: true)
        let codec = AnthropicMessagesCodec()
        #expect(codec.body(for: outcome)["usage"] == ["input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0])
        let start = try JSONValue.parse(codec.streamEvents(for: outcome)[0].data)
        #expect(start["message"]?["usage"]?["output_tokens"] == 0)
    }

    // MARK: Fixtures

    @Test("Every fixture stream names each event after its JSON type")
    func fixtureEventNamesMatchTypes() throws {
        for fixture in fixtures.fixtures where fixture.isStream {
            for frame in try fixture.frames where frame.isTerminated {
                guard let event = frame.event, let json = try? JSONValue.parse(event.data) else { continue }
                #expect(json["type"]?.stringValue == event.type, "\(fixture.name): \(event.type)")
            }
        }
    }

    // MARK: Round trips

    @Test("A synthesized stream has the documented event order, a ping, and JSON types as event names")
    func synthesizedStreamShape() throws {
        let outcome = Self.handBuiltOutcomes[2].withText("Checking two things for you now, one moment please.")
        let events = codec.streamEvents(for: outcome)
        let types = events.map(\.type)
        #expect(types.first == "message_start")
        #expect(types.suffix(2) == ["message_delta", "message_stop"])
        #expect(types.contains("ping"))
        #expect(types.filter { $0 == "content_block_start" }.count == 3)
        #expect(types.filter { $0 == "content_block_stop" }.count == 3)
        #expect(types.filter { $0 == "content_block_delta" }.count > 3)
        for event in events {
            #expect(try JSONValue.parse(event.data)["type"]?.stringValue == event.type)
        }
        let delta = try JSONValue.parse(try #require(events.first { $0.type == "message_delta" }).data)
        #expect(delta["delta"]?["stop_reason"]?.stringValue == "tool_use")
        #expect(delta["usage"]?["output_tokens"]?.intValue == 40)
        let bytes = String(decoding: codec.streamBytes(for: outcome), as: UTF8.self)
        #expect(bytes.hasPrefix("event: message_start\ndata: {"))
        #expect(!bytes.contains("\r"))
    }

    @Test("A synthesized stream of an outcome that ended in an in-band error ends with that error event")
    func synthesizedStreamOfFailedOutcome() throws {
        let outcome = try #require(try fixtures.expectedOutcomes()["inband-overloaded-midstream.sse"])
        let events = codec.streamEvents(for: outcome)
        #expect(events.last?.type == "error")
        #expect(!events.contains { $0.type == "message_stop" })
        #expect(codec.streamRoundTrip(outcome) == outcome)
    }

    @Test("A synthesized body carries tool arguments as the input object")
    func bodyCarriesToolInputAsObject() throws {
        let body = codec.body(for: Self.handBuiltOutcomes[2])
        let input = try #require(body["content"]?[0]?["input"])
        #expect(input == ["q": "tapedeck", "limit": 5])
        #expect(body["stop_reason"] == "tool_use")
        #expect(body["usage"]?["input_tokens"] == 100)
    }

    // MARK: Stream semantics

    @Test("Running usage totals are replaced, never added")
    func runningUsageTotalsAreReplaced() {
        let outcome = accumulate(events([
            ["type": "message_start", "message": ["model": "m", "usage": ["input_tokens": 10, "cache_creation_input_tokens": 5,
                                                                          "cache_read_input_tokens": 100, "output_tokens": 1]]],
            ["type": "message_delta", "delta": ["stop_reason": .null], "usage": ["output_tokens": 10]],
            ["type": "message_delta", "delta": ["stop_reason": "end_turn"], "usage": ["output_tokens": 25, "input_tokens": 12]],
            ["type": "message_stop"],
        ]))
        #expect(outcome.usage == Usage(inputTokens: 117, outputTokens: 25))
        #expect(outcome.finishReason == .stop)
        #expect(outcome.terminated)
    }

    @Test("Every cut of a stream before the end of message_stop leaves it unterminated")
    func cutStreamIsNotTerminated() throws {
        let bytes = try fixtures.fixture("text-end-turn.sse").bytes
        #expect(codec.outcome(fromFrames: SSEParser.parse(bytes)).terminated)
        // Every byte of the closing events, and a sample of earlier cut points (each parse is a full pass).
        let cuts = Array(stride(from: 0, to: bytes.count - 160, by: 11)) + Array((bytes.count - 160)..<bytes.count)
        let terminatedCuts = cuts.filter { codec.outcome(fromFrames: SSEParser.parse(bytes.prefix($0))).terminated }
        #expect(terminatedCuts.isEmpty, "cuts reported as terminated: \(terminatedCuts.prefix(5))")
        let cut = try fixtures.fixture("cut-before-message-stop.sse").outcome()
        #expect(!cut.terminated)
        #expect(cut.error == nil)
    }

    @Test("Ping events and unknown event types change nothing")
    func pingsAreIgnored() throws {
        let plain = try fixtures.fixture("text-end-turn.sse").outcome()
        var accumulator = codec.makeAccumulator()
        for frame in SSEParser.parse(try fixtures.fixture("text-end-turn.sse").bytes) {
            accumulator.consume(SSEEvent(type: "ping", data: #"{"type": "ping"}"#))
            accumulator.consume(SSEEvent(type: "future_event", data: #"{"type":"future_event","x":1}"#))
            if let event = frame.event { accumulator.consume(event) }
        }
        #expect(accumulator.outcome() == plain)
    }

    @Test("Invalid JSON in a data frame is a malformed error and nothing after it counts")
    func invalidJSONIsMalformed() {
        let outcome = accumulate([
            SSEEvent(type: "content_block_start", data: #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            SSEEvent(type: "content_block_delta", data: #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}"#),
            SSEEvent(type: "content_block_delta", data: #"{"type":"content_bl"#),
            SSEEvent(type: "content_block_delta", data: #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}"#),
            SSEEvent(type: "message_stop", data: #"{"type":"message_stop"}"#),
        ])
        #expect(outcome.error?.kind == .malformed)
        #expect(outcome.text == "ok")
        #expect(!outcome.terminated)
    }

    @Test("Only message_stop is the terminator")
    func terminatorIsMessageStop() {
        #expect(codec.isTerminator(SSEEvent(type: "message_stop", data: #"{"type":"message_stop"}"#)))
        #expect(codec.isTerminator(SSEEvent(data: #"{"type":"message_stop"}"#)))
        #expect(!codec.isTerminator(SSEEvent(type: "message_delta", data: #"{"type":"message_delta","delta":{}}"#)))
        #expect(!codec.isTerminator(SSEEvent(data: "[DONE]")))
    }

    @Test("Stop reasons normalize as documented")
    func stopReasonsNormalize() {
        let table: [(String, FinishReason?)] = [
            ("end_turn", .stop), ("stop_sequence", .stop), ("pause_turn", .stop), ("max_tokens", .length),
            ("model_context_window_exceeded", .length), ("tool_use", .toolCalls), ("refusal", .contentFilter), ("brand_new", nil),
        ]
        for (raw, expected) in table {
            #expect(AnthropicMessagesCodec.finishReason(stopReason: raw) == expected, "\(raw)")
        }
    }

    // MARK: Errors

    @Test("HTTP error bodies classify into the taxonomy", arguments: [
        (429, #"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#, ErrorKind.rateLimit),
        (529, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, .overloaded),
        (500, #"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#, .serverError),
        (504, #"{"type":"error","error":{"type":"timeout_error","message":"Request timed out"}}"#, .timeout),
        (401, #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#, .auth),
        (403, #"{"type":"error","error":{"type":"permission_error","message":"no access"}}"#, .auth),
        (404, #"{"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}"#, .notFound),
        (400, #"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215439 tokens > 200000 maximum"}}"#, .contextWindow),
        (400, #"{"type":"error","error":{"type":"invalid_request_error","message":"input length and `max_tokens` exceed context limit: 197626 + 8192 > 200000, decrease input length or `max_tokens` and try again"}}"#, .contextWindow),
        (400, #"{"type":"error","error":{"type":"invalid_request_error","message":"This model does not support assistant message prefill. The conversation must end with a user message."}}"#, .prefillRejected),
        (400, #"{"type":"error","error":{"type":"invalid_request_error","message":"Output blocked by content filtering policy"}}"#, .contentPolicy),
        (400, #"{"type":"error","error":{"type":"invalid_request_error","message":"messages: text content blocks must be non-empty"}}"#, .badRequest),
        (413, #"{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}"#, .badRequest),
        (502, "<html><body>502 Bad Gateway</body></html>", .connection),
        (503, "upstream connect error", .overloaded),
        (529, "{}", .overloaded),
    ])
    func httpErrorsClassify(status: Int, body: String, kind: ErrorKind) {
        let error = codec.classify(status: status, body: Array(body.utf8))
        #expect(error.kind == kind)
        #expect(error.status == status)
        #expect(!error.message.isEmpty)
    }

    @Test("A non-JSON error body keeps its text as the message")
    func nonJSONErrorMessage() {
        let error = codec.classify(status: 502, body: Array("  <html>Bad Gateway</html>\n".utf8))
        #expect(error.message == "<html>Bad Gateway</html>")
    }

    @Test("Each synthesized HTTP error classifies back to its kind with the provider's status and headers",
          arguments: ErrorKind.allCases.filter { $0 != .malformed })
    func errorResponsesClassifyBack(kind: ErrorKind) throws {
        let response = codec.errorResponse(kind: kind, message: nil, retryAfter: 7)
        #expect(response.status == codec.status(for: kind))
        #expect(codec.classify(status: response.status, body: response.body).kind == kind)
        let headers = Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(headers["content-type"] == "application/json")
        #expect(headers["retry-after"] == "7")
        let body = try JSONValue.parse(response.body)
        #expect(body["type"] == "error")
        #expect(headers["request-id"] != nil && headers["request-id"] == body["request_id"]?.stringValue)
        let withoutDelay = codec.errorResponse(kind: kind, message: "custom", retryAfter: nil)
        #expect(!withoutDelay.headers.contains { $0.name == "retry-after" })
        #expect(try JSONValue.parse(withoutDelay.body)["error"]?["message"] == "custom")
    }

    @Test("Provider statuses: overloaded is 529, rate limit 429, prefill rejection 400")
    func providerStatuses() {
        #expect(codec.status(for: .overloaded) == 529)
        #expect(codec.status(for: .rateLimit) == 429)
        #expect(codec.status(for: .prefillRejected) == 400)
        #expect(codec.status(for: .contextWindow) == 400)
        #expect(codec.status(for: .serverError) == 500)
        #expect(codec.status(for: .timeout) == 504)
    }

    @Test("The prefill rejection response carries Anthropic's exact message")
    func prefillRejectionMessage() throws {
        let response = codec.errorResponse(kind: .prefillRejected, message: nil, retryAfter: nil)
        let body = try JSONValue.parse(response.body)
        #expect(body["error"]?["type"] == "invalid_request_error")
        #expect(body["error"]?["message"]?.stringValue
            == "This model does not support assistant message prefill. The conversation must end with a user message.")
    }

    @Test("Each synthesized in-band error event classifies back to its kind",
          arguments: ErrorKind.allCases.filter { $0 != .malformed && $0 != .connection })
    func inBandEventsClassifyBack(kind: ErrorKind) throws {
        let event = codec.inBandErrorEvent(kind: kind, message: nil)
        #expect(event.type == "error")
        #expect(try JSONValue.parse(event.data)["type"] == "error")
        let error = try #require(codec.classify(inBand: event))
        #expect(error.kind == kind)
        #expect(error.status == nil)
    }

    @Test("In-band overloaded, rate limit and api errors classify; other events are not errors")
    func inBandClassification() {
        let overloaded = SSEEvent(type: "error", data: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
        let rateLimit = SSEEvent(type: "error", data: #"{"type":"error","error":{"type":"rate_limit_error","message":"x"}}"#)
        let api = SSEEvent(type: "error", data: #"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#)
        #expect(codec.classify(inBand: overloaded)?.kind == .overloaded)
        #expect(codec.classify(inBand: rateLimit)?.kind == .rateLimit)
        #expect(codec.classify(inBand: api)?.kind == .serverError)
        #expect(codec.classify(inBand: SSEEvent(type: "ping", data: #"{"type": "ping"}"#)) == nil)
        #expect(codec.classify(inBand: SSEEvent(type: "content_block_delta", data: #"{"type":"content_block_delta"}"#)) == nil)
    }

    @Test("A body read with an error status is an error outcome even when it is not JSON")
    func bodiesWithErrorStatus() {
        let html = codec.outcome(fromBody: Array("<html>502</html>".utf8), status: 502)
        #expect(html.error?.kind == .connection)
        #expect(html.error?.status == 502)
        #expect(!html.terminated)
        let garbage = codec.outcome(fromBody: Array("{not json".utf8), status: 200)
        #expect(garbage.error?.kind == .malformed)
        let explicit = codec.outcome(fromBody: Array(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.utf8), status: 503)
        #expect(explicit.error == OutcomeError(kind: .overloaded, status: 503, message: "Overloaded"))
    }

    // MARK: Requests

    private static let request: JSONValue = [
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "stream": true,
        "system": [["type": "text", "text": "You are terse."], ["type": "text", "text": "Answer in English."]],
        "tools": [["name": "get_weather", "input_schema": ["type": "object"]]],
        "messages": [
            ["role": "user", "content": "What's the weather in Paris?"],
            ["role": "assistant", "content": [["type": "text", "text": "Checking."],
                                              ["type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": ["city": "Paris"]]]],
            ["role": "user", "content": [["type": "tool_result", "tool_use_id": "toolu_1", "content": "18°C, clear"]]],
        ],
    ]

    @Test("The request view reads model, stream, system blocks, content blocks and tool results")
    func requestView() throws {
        let view = codec.requestView(body: Self.request, path: "/anthropic/v1/messages?beta=true")
        #expect(view.dialect == .anthropicMessages)
        #expect(view.endpoint == "/anthropic/v1/messages")
        #expect(view.model == "claude-sonnet-4-5")
        #expect(view.stream)
        #expect(view.turns.map(\.role) == ["system", "user", "assistant", "tool"])
        #expect(view.turns[0].text == "You are terse.\nAnswer in English.")
        #expect(view.turns[1].text == "What's the weather in Paris?")
        #expect(view.turns[2].text.hasPrefix("Checking.\n{"))
        #expect(view.turns[2].text.contains(#""name":"get_weather""#))
        #expect(view.turns[3].text.contains("18°C, clear"))
        #expect(view.lastRole == "tool")
        #expect(!view.endsWithAssistantPrefill)
    }

    @Test("The request view spots an assistant prefill and a missing stream flag means false")
    func requestViewPrefill() {
        let body: JSONValue = ["model": "claude-3-5-haiku", "system": "Be brief.",
                               "messages": [["role": "user", "content": "Give me JSON"], ["role": "assistant", "content": "{"]]]
        let view = codec.requestView(body: body, path: "/v1/messages")
        #expect(!view.stream)
        #expect(view.turns.first == ChatTurn(role: "system", text: "Be brief."))
        #expect(view.endsWithAssistantPrefill)
        #expect(view.prefillText == "{")
    }

    @Test("A prefill continuation appends the partial text as an assistant turn and changes nothing else")
    func prefillContinuation() throws {
        let continued = codec.continuationRequest(original: Self.request, partialText: "It is 18°C and", style: .prefill)
        let messages = try #require(continued["messages"]?.arrayValue)
        #expect(messages.count == 4)
        #expect(messages.last == ["role": "assistant", "content": "It is 18°C and"])
        var rest = continued
        rest["messages"] = .array(Array(messages.dropLast()))
        #expect(rest == Self.request)
        let view = codec.requestView(body: continued, path: "/v1/messages")
        #expect(view.endsWithAssistantPrefill)
        #expect(view.prefillText == "It is 18°C and")
    }

    @Test("A user-message continuation adds the partial assistant turn, then the continue instruction")
    func userMessageContinuation() throws {
        let continued = codec.continuationRequest(original: Self.request, partialText: "It is 18°C and", style: .userMessage)
        let messages = try #require(continued["messages"]?.arrayValue)
        #expect(messages.count == 5)
        #expect(messages[3] == ["role": "assistant", "content": "It is 18°C and"])
        #expect(messages[4] == ["role": "user", "content": .string(continuationInstruction)])
        #expect(continued["system"] == Self.request["system"])
        #expect(continued["tools"] == Self.request["tools"])
        #expect(continued["model"] == Self.request["model"])
        #expect(codec.requestView(body: continued, path: "/v1/messages").lastRole == "user")
    }

    @Test("A continuation of a request that already ended with a prefill extends that prefill")
    func continuationExtendsExistingPrefill() throws {
        let stringPrefill: JSONValue = ["model": "m", "messages": [["role": "user", "content": "JSON please"], ["role": "assistant", "content": "{"]]]
        let continued = codec.continuationRequest(original: stringPrefill, partialText: #""a": 1,"#, style: .prefill)
        #expect(continued["messages"]?.arrayValue?.count == 2)
        #expect(continued["messages"]?[1]?["content"] == #"{"a": 1,"#)

        let blockPrefill: JSONValue = ["model": "m", "messages": [["role": "user", "content": "Hi"],
                                                                  ["role": "assistant", "content": [["type": "text", "text": "Well,"]]]]]
        let blocks = codec.continuationRequest(original: blockPrefill, partialText: " then", style: .userMessage)
        #expect(blocks["messages"]?[1]?["content"] == [["type": "text", "text": "Well, then"]])
        #expect(blocks["messages"]?[2]?["role"] == "user")
    }
}

extension Outcome {
    /// A copy with different first-choice text.
    fileprivate func withText(_ text: String) -> Outcome {
        var copy = self
        copy.text = text
        return copy
    }
}
