import Dialects
import Foundation
import SSE
import Testing

@Suite("OpenAI Responses codec")
struct OpenAIResponsesTests {
    static let fixtures = FixtureFolder.openAIResponses
    let codec = OpenAIResponsesCodec()

    // MARK: Fixtures

    @Test("the terminal event's response decodes like the non-stream body it equals")
    func terminalSnapshotMatchesStream() throws {
        for fixture in Self.fixtures.fixtures where fixture.isStream {
            let frames = try fixture.frames
            guard let last = frames.last(where: { $0.event != nil })?.event, codec.isTerminator(last) else { continue }
            let snapshot = try #require(try JSONValue.parse(last.data)["response"])
            var fromBody = codec.outcome(fromBody: JSONWriter.bytes(snapshot), status: 200)
            let fromStream = codec.outcome(fromFrames: frames)
            fromBody.terminated = fromStream.terminated
            #expect(fromBody == fromStream, "\(fixture.name)")
        }
    }

    @Test("a stream cut before its terminal event reports no usage, or the whole stream's",
          arguments: fixtures.fixtures.filter(\.isStream))
    func cutStreamUsage(fixture: Fixture) throws {
        let frames = try fixture.frames
        let whole = codec.outcome(fromFrames: frames)
        for dropped in 1...3 {
            let cut = codec.outcome(fromFrames: Array(frames.dropLast(dropped)))
            #expect(cut.usage == nil || whole.usage == cut.usage, "minus \(dropped) frames")
        }
    }

    @Test("fixture streams number their events from 0 without gaps")
    func fixtureSequenceNumbers() throws {
        for fixture in Self.fixtures.fixtures where fixture.isStream {
            let events = try fixture.frames.compactMap(\.event)
            let numbers = events.compactMap { try? JSONValue.parse($0.data)["sequence_number"]?.intValue }
            // The malformed-free fixtures: every event carries one.
            #expect(numbers == Array(0..<events.count), "\(fixture.name)")
        }
    }

    // MARK: Accumulator

    @Test("a failed response ends the stream properly and carries its error without a status")
    func failedResponseIsTerminatedWithError() throws {
        let outcome = try Self.fixtures.fixture("response-failed.sse").outcome()
        #expect(outcome.terminated)
        #expect(outcome.error?.kind == .serverError)
        #expect(outcome.error?.status == nil)
        #expect(!outcome.isSuccess)
    }

    @Test("both shapes of the error event are read, field by field, nested first")
    func errorEventShapes() {
        let flat = SSEEvent(type: "error", data: #"{"type":"error","sequence_number":3,"code":"rate_limit_exceeded","message":"Slow down","param":null}"#)
        let nested = SSEEvent(type: "error", data: #"{"type":"error","sequence_number":3,"error":{"type":"tokens","code":"rate_limit_exceeded","message":"Slow down","param":null}}"#)
        let mixed = SSEEvent(type: "error", data: #"{"type":"error","sequence_number":3,"message":"Flat message","error":{"code":"server_is_overloaded"}}"#)
        #expect(codec.classify(inBand: flat) == OutcomeError(kind: .rateLimit, status: nil, message: "Slow down"))
        #expect(codec.classify(inBand: nested) == OutcomeError(kind: .rateLimit, status: nil, message: "Slow down"))
        #expect(codec.classify(inBand: mixed) == OutcomeError(kind: .overloaded, status: nil, message: "Flat message"))
        let failed = SSEEvent(type: "response.failed", data: #"{"type":"response.failed","sequence_number":9,"response":{"object":"response","status":"failed","error":{"code":"rate_limit_exceeded","message":"Too many"}}}"#)
        #expect(codec.classify(inBand: failed) == OutcomeError(kind: .rateLimit, status: nil, message: "Too many"))
        let delta = SSEEvent(type: "response.output_text.delta", data: #"{"type":"response.output_text.delta","sequence_number":4,"delta":"hi"}"#)
        #expect(codec.classify(inBand: delta) == nil)
    }

    @Test("finish reasons follow the response status and its incomplete reason")
    func finishReasons() {
        func finish(_ response: String) -> FinishReason? {
            codec.outcome(fromBody: Array(response.utf8), status: 200).finishReason
        }
        #expect(finish(#"{"object":"response","status":"completed","output":[]}"#) == .stop)
        #expect(finish(#"{"object":"response","status":"completed","output":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}]}"#) == .toolCalls)
        #expect(finish(#"{"object":"response","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}"#) == .length)
        #expect(finish(#"{"object":"response","status":"incomplete","incomplete_details":{"reason":"content_filter"}}"#) == .contentFilter)
        #expect(finish(#"{"object":"response","status":"failed","error":{"code":"server_error","message":"x"}}"#) == nil)
    }

    @Test("a stream made of only the terminal event still yields the response's output")
    func terminalOnlyStream() {
        var accumulator = codec.makeAccumulator()
        accumulator.consume(SSEEvent(type: "response.completed", data: #"{"type":"response.completed","sequence_number":0,"response":{"object":"response","status":"completed","model":"gpt-4.1","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi!"}]}],"usage":{"input_tokens":3,"output_tokens":2}}}"#))
        #expect(accumulator.outcome() == Outcome(dialect: .openAIResponses, model: "gpt-4.1", text: "Hi!", finishReason: .stop,
                                                  usage: Usage(inputTokens: 3, outputTokens: 2), terminated: true))
    }

    @Test("invalid JSON in an event stops the stream with a malformed error, as the SDK raises there")
    func malformedEvent() {
        var accumulator = codec.makeAccumulator()
        accumulator.consume(SSEEvent(type: "response.output_text.delta", data: #"{"type":"response.output_text.delta","sequence_number":4,"delta":"Hi"}"#))
        accumulator.consume(SSEEvent(type: "response.output_text.delta", data: #"{"type":"response.output_text.delta","seq"#))
        accumulator.consume(SSEEvent(type: "response.completed", data: #"{"type":"response.completed","sequence_number":6,"response":{"status":"completed"}}"#))
        let outcome = accumulator.outcome()
        #expect(outcome.text == "Hi")
        #expect(outcome.error == OutcomeError(kind: .malformed, status: nil,
                                              message: #"Invalid JSON in stream event data: {"type":"response.output_text.delta","seq"#))
        #expect(!outcome.terminated)
    }

    @Test("the terminal events are completed, incomplete and failed")
    func terminators() {
        for type in ["response.completed", "response.incomplete", "response.failed"] {
            #expect(codec.isTerminator(SSEEvent(type: type, data: "{}")))
        }
        #expect(!codec.isTerminator(SSEEvent(type: "response.output_item.done", data: "{}")))
        #expect(!codec.isTerminator(codec.inBandErrorEvent(kind: .overloaded, message: nil)))
        #expect(codec.isTerminator(SSEEvent(data: #"{"type":"response.completed","sequence_number":5}"#)))
    }

    // MARK: Synthesis

    static let handBuiltOutcomes: [Outcome] = [
        Outcome(dialect: .openAIResponses, model: "gpt-4.1", text: "Hello there, how are you today?", finishReason: .stop,
                usage: Usage(inputTokens: 12, outputTokens: 9), terminated: true),
        Outcome(dialect: .openAIResponses, model: "gpt-4.1", text: "Line one\nLine \"two\" with \\ and “quotes” — 🚀 ünïcode\r\n",
                finishReason: .length, usage: Usage(inputTokens: 5, outputTokens: 16), terminated: true),
        Outcome(dialect: .openAIResponses, model: "gpt-4.1", text: "",
                toolCalls: [ToolCall(id: "call_1", name: "lookup", arguments: #"{"query":"weather in Paris, FR","days":3}"#),
                            ToolCall(id: "call_2", name: "noop", arguments: "")],
                finishReason: .toolCalls, usage: Usage(inputTokens: 40, outputTokens: 22), terminated: true),
        Outcome(dialect: .openAIResponses, model: "gpt-4.1", text: "Let me check.",
                toolCalls: [ToolCall(id: "call_9", name: "search", arguments: #"{"q":"x"}"#)], finishReason: .toolCalls, terminated: true),
        Outcome(dialect: .openAIResponses, model: "gpt-4.1", text: "I can't", finishReason: .contentFilter, terminated: true),
        Outcome(dialect: .openAIResponses, model: nil, text: "", finishReason: .stop, terminated: true),
    ]

    @Test("error outcomes synthesize as response.failed when terminated, and as an error event when not")
    func errorOutcomeRoundTrips() {
        let failed = Outcome(dialect: .openAIResponses, model: "gpt-4.1", text: "Partial",
                             usage: Usage(inputTokens: 4, outputTokens: 1),
                             error: OutcomeError(kind: .rateLimit, status: nil, message: "Too many requests"), terminated: true)
        #expect(codec.streamEvents(for: failed).last?.type == "response.failed")
        #expect(codec.streamRoundTrip(failed) == failed)
        #expect(codec.bodyRoundTrip(failed) == failed)
        let broken = Outcome(dialect: .openAIResponses, model: "gpt-4.1", text: "Partial answer",
                             error: OutcomeError(kind: .overloaded, status: nil, message: "Overloaded"), terminated: false)
        #expect(codec.streamEvents(for: broken).last?.type == "error")
        #expect(codec.streamRoundTrip(broken) == broken)
    }

    @Test("a synthesized stream has the full event sequence, numbered from 0 without gaps")
    func synthesizedStreamShape() throws {
        let outcome = Self.handBuiltOutcomes[3]
        let events = codec.streamEvents(for: outcome)
        let payloads = try events.map { try JSONValue.parse($0.data) }
        #expect(payloads.map { $0["sequence_number"]?.intValue } == Array(0..<events.count).map(Optional.some))
        #expect(zip(events, payloads).allSatisfy { $0.type == $1["type"]?.stringValue })
        let types = events.map(\.type)
        #expect(Array(types.prefix(6)) == [
            "response.created", "response.in_progress", "response.output_item.added",
            "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
        ])
        #expect(types.contains("response.output_text.done"))
        #expect(types.contains("response.content_part.done"))
        #expect(types.filter { $0 == "response.output_item.done" }.count == 2)
        #expect(types.contains("response.function_call_arguments.delta"))
        #expect(types.contains("response.function_call_arguments.done"))
        #expect(types.last == "response.completed")
        #expect(payloads[0]["response"]?["status"] == "in_progress")
        // The terminal event carries the same response the non-stream body is.
        #expect(payloads.last?["response"] == (try JSONValue.parse(JSONWriter.bytes(codec.body(for: outcome)))))
        let bytes = codec.streamBytes(for: outcome)
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("event: response.created\ndata: {"))
        #expect(Dialect.detect(frames: SSEParser.parse(bytes)) == .openAIResponses)
    }

    @Test("synthesis is deterministic: the same outcome gives the same bytes")
    func synthesisIsDeterministic() {
        let outcome = Self.handBuiltOutcomes[2]
        #expect(codec.streamBytes(for: outcome) == codec.streamBytes(for: outcome))
    }

    // MARK: Errors

    @Test("HTTP errors classify into the taxonomy like Chat Completions errors")
    func httpErrorClassification() throws {
        let table: [(Int, String, ErrorKind)] = [
            (429, #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#, .rateLimit),
            (503, #"{"error":{"message":"The engine is currently overloaded","type":"server_error","param":null,"code":"server_is_overloaded"}}"#, .overloaded),
            (500, #"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":"server_error"}}"#, .serverError),
            (400, #"{"error":{"message":"Your input exceeds the context window of this model.","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}}"#, .contextWindow),
            (400, #"{"error":{"message":"Invalid prompt: your prompt was flagged as potentially violating our usage policy.","type":"invalid_request_error","param":null,"code":"invalid_prompt"}}"#, .contentPolicy),
            (400, #"{"error":{"message":"This model does not support assistant message prefill.","type":"invalid_request_error","param":"input","code":null}}"#, .prefillRejected),
            (404, #"{"error":{"message":"Previous response with id 'resp_x' not found.","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}}"#, .notFound),
            (401, #"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#, .auth),
            (504, "", .timeout),
        ]
        for (status, body, kind) in table {
            let error = codec.classify(status: status, body: Array(body.utf8))
            #expect(error.kind == kind, "\(status) \(body)")
            #expect(error.status == status)
        }
    }

    @Test("a synthesized HTTP error has OpenAI's shape and headers and classifies back to its kind", arguments: ErrorKind.allCases)
    func errorResponseRoundTrip(kind: ErrorKind) throws {
        let response = codec.errorResponse(kind: kind, message: nil, retryAfter: 30)
        #expect(response.status == codec.status(for: kind))
        #expect(response.headers.contains(HTTPField("retry-after", "30")))
        #expect(response.headers.contains(HTTPField("retry-after-ms", "30000")))
        #expect(response.headers.contains(HTTPField("content-type", "application/json")))
        let outcome = codec.outcome(fromBody: response.body, status: response.status)
        #expect(outcome.error == OutcomeError(kind: kind, status: response.status, message: kind.defaultMessage))
    }

    @Test("a synthesized in-band error event is the nested shape and classifies back to its kind", arguments: ErrorKind.allCases)
    func inBandErrorRoundTrip(kind: ErrorKind) throws {
        let event = codec.inBandErrorEvent(kind: kind, message: nil)
        #expect(event.type == "error")
        let payload = try JSONValue.parse(event.data)
        #expect(payload["type"] == "error")
        #expect(payload["sequence_number"] == 0)
        #expect(payload["error"]?["message"]?.stringValue == kind.defaultMessage)
        #expect(codec.classify(inBand: event) == OutcomeError(kind: kind, status: nil, message: kind.defaultMessage))
        #expect(Dialect.detect(json: payload) == .openAIResponses)
    }

    @Test("an in-band error event inserted into a stream continues its numbering")
    func inBandErrorNumbering() throws {
        let event = codec.inBandErrorEvent(kind: .overloaded, message: "busy", sequenceNumber: 41)
        #expect(try JSONValue.parse(event.data)["sequence_number"] == 41)
    }

    // MARK: Continuation

    static let originalRequest: JSONValue = [
        "model": "gpt-4.1", "stream": true, "instructions": "Be brief.", "max_output_tokens": 400,
        "input": [["role": "user", "content": [["type": "input_text", "text": "Explain TCP slow start."]]]],
    ]

    @Test("prefill continuation appends one assistant message and touches nothing else")
    func prefillContinuation() throws {
        let request = codec.continuationRequest(original: Self.originalRequest, partialText: "TCP slow start", style: .prefill)
        var expected = Self.originalRequest
        expected["input"] = .array(try #require(Self.originalRequest["input"]?.arrayValue) + [
            ["role": "assistant", "content": "TCP slow start"],
        ])
        #expect(request == expected)
        let view = codec.requestView(body: request, path: "/v1/responses")
        #expect(view.endsWithAssistantPrefill)
        #expect(view.prefillText == "TCP slow start")
    }

    @Test("user-message continuation appends the partial assistant turn, then the continuation instruction")
    func userMessageContinuation() throws {
        let request = codec.continuationRequest(original: Self.originalRequest, partialText: "TCP slow start", style: .userMessage)
        var expected = Self.originalRequest
        expected["input"] = .array(try #require(Self.originalRequest["input"]?.arrayValue) + [
            ["role": "assistant", "content": "TCP slow start"],
            ["role": "user", "content": .string(continuationInstruction)],
        ])
        #expect(request == expected)
    }

    @Test("a string input becomes the equivalent user message before the continuation is appended")
    func stringInputContinuation() {
        let original: JSONValue = ["model": "gpt-4.1", "input": "Tell me a story."]
        let request = codec.continuationRequest(original: original, partialText: "Once upon", style: .prefill)
        #expect(request == ["model": "gpt-4.1", "input": [
            ["role": "user", "content": "Tell me a story."], ["role": "assistant", "content": "Once upon"],
        ]])
        #expect(codec.requestView(body: original, path: "/v1/responses").turns
            == codec.requestView(body: request, path: "/v1/responses").turns.dropLast())
    }

    @Test("an empty partial text gives back the original request: there is nothing to continue")
    func emptyContinuation() {
        for style in ContinuationStyle.allCases {
            #expect(codec.continuationRequest(original: Self.originalRequest, partialText: "", style: style) == Self.originalRequest)
        }
    }

    // MARK: Request view

    @Test("the request view puts instructions first and reads string or item-list input")
    func requestView() {
        let listBody: JSONValue = [
            "model": "gpt-4.1", "stream": true, "instructions": "You are terse.",
            "input": [
                ["type": "message", "role": "developer", "content": "Prefer metric units."],
                ["role": "user", "content": [["type": "input_text", "text": "Weather in Paris?"],
                                             ["type": "input_image", "image_url": "https://example.com/x.png"]]],
                ["type": "reasoning", "id": "rs_1", "summary": []],
                ["type": "function_call", "call_id": "call_1", "name": "weather", "arguments": "{}"],
                ["type": "function_call_output", "call_id": "call_1", "output": "18 °C"],
            ],
        ]
        let view = codec.requestView(body: listBody, path: "/v1/responses?trace=1")
        #expect(view.dialect == .openAIResponses)
        #expect(view.endpoint == "/v1/responses")
        #expect(view.model == "gpt-4.1")
        #expect(view.stream)
        #expect(view.turns.map(\.role) == ["system", "system", "user", "assistant", "tool"])
        #expect(view.turns[0].text == "You are terse.")
        #expect(view.turns[2].text == "Weather in Paris?")
        #expect(view.turns[3].text == #"{"arguments":"{}","call_id":"call_1","name":"weather","type":"function_call"}"#)
        #expect(view.turns[4].text == "18 °C")
        #expect(view.lastRole == "tool")

        let stringBody: JSONValue = ["model": "gpt-4.1-mini", "input": "Hi"]
        let simple = codec.requestView(body: stringBody, path: "/v1/responses")
        #expect(!simple.stream)
        #expect(simple.turns == [ChatTurn(role: "user", text: "Hi")])
        #expect(!simple.endsWithAssistantPrefill)
    }
}

@Suite("Responses in-band error numbering")
struct ResponsesErrorNumberingTests {
    @Test("an error event injected mid-stream continues the sequence numbers")
    func continuesNumbering() throws {
        let codec = OpenAIResponsesCodec()
        let sent = [SSEEvent(type: "response.created", data: #"{"type":"response.created","sequence_number":0}"#),
                    SSEEvent(type: "response.output_text.delta", data: #"{"type":"response.output_text.delta","sequence_number":7,"delta":"x"}"#)]
        let event = codec.inBandErrorEvent(kind: .overloaded, message: nil, after: sent)
        #expect(try JSONValue.parse(event.data)["sequence_number"] == 8)
        #expect(try JSONValue.parse(codec.inBandErrorEvent(kind: .overloaded, message: nil, after: []).data)["sequence_number"] == 0)
    }
}
