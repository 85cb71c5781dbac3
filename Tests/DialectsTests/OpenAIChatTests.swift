import Dialects
import Foundation
import SSE
import Testing

@Suite("OpenAI Chat Completions codec")
struct OpenAIChatTests {
    static let fixtures = FixtureFolder.openAIChat
    let codec = OpenAIChatCodec()

    // MARK: Fixtures

    @Test("the second choice of an n=2 stream keeps its own text")
    func multipleChoicesKeepTheirText() throws {
        let outcome = try Self.fixtures.fixture("multiple-choices.sse").outcome()
        #expect(outcome.choices == [
            "Mercury is the closest planet to the Sun.",
            "The planet nearest the Sun is Mercury, at about 58 million km.",
        ])
    }

    @Test("an unterminated trailing block is discarded, as clients do")
    func unterminatedTrailingBlockIsDiscarded() throws {
        var bytes = try Self.fixtures.fixture("text-stop.sse").bytes
        bytes.removeLast(2)  // the blank line after `data: [DONE]`, and its line feed
        let outcome = codec.outcome(fromFrames: SSEParser.parse(bytes))
        #expect(!outcome.terminated)
        #expect(outcome.finishReason == .stop)
    }

    // MARK: Accumulator

    @Test("the accumulator stops at an in-band error even when [DONE] follows")
    func errorStopsBeforeDone() {
        var accumulator = codec.makeAccumulator()
        accumulator.consume(SSEEvent(data: #"{"choices":[{"index":0,"delta":{"content":"Hi"}}],"model":"m"}"#))
        accumulator.consume(codec.inBandErrorEvent(kind: .overloaded, message: nil))
        accumulator.consume(SSEEvent(data: #"{"choices":[{"index":0,"delta":{"content":" there"}}]}"#))
        accumulator.consume(SSEEvent(data: "[DONE]"))
        let outcome = accumulator.outcome()
        #expect(outcome.text == "Hi")
        #expect(outcome.error?.kind == .overloaded)
        #expect(outcome.error?.status == nil)
        #expect(!outcome.terminated)
    }

    @Test("tool call fragments are grouped by index, id and name from the first, arguments concatenated")
    func toolCallFragmentsAreGroupedByIndex() {
        var accumulator = codec.makeAccumulator()
        let fragments = [
            #"{"index":1,"id":"call_b","type":"function","function":{"name":"second","arguments":""}}"#,
            #"{"index":0,"id":"call_a","type":"function","function":{"name":"first","arguments":"{\"a\""}}"#,
            #"{"index":1,"function":{"arguments":"{}"}}"#,
            #"{"index":0,"id":"call_a","function":{"name":"first","arguments":":1}"}}"#,
        ]
        for fragment in fragments {
            accumulator.consume(SSEEvent(data: #"{"choices":[{"index":0,"delta":{"tool_calls":["# + fragment + "]}}]}"))
        }
        #expect(accumulator.outcome().toolCalls == [
            ToolCall(id: "call_a", name: "first", arguments: #"{"a":1}"#),
            ToolCall(id: "call_b", name: "second", arguments: "{}"),
        ])
    }

    @Test("usage comes from the usage chunk and the finish reason is the last non-null one")
    func usageAndFinishReason() {
        var accumulator = codec.makeAccumulator()
        accumulator.consume(SSEEvent(data: #"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"usage":null}"#))
        accumulator.consume(SSEEvent(data: #"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}"#))
        accumulator.consume(SSEEvent(data: #"{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":1,"total_tokens":8}}"#))
        let outcome = accumulator.outcome()
        #expect(outcome.finishReason == .length)
        #expect(outcome.usage == Usage(inputTokens: 7, outputTokens: 1))
        #expect(!outcome.terminated)
    }

    @Test("garbage chunks neither crash the accumulator nor grow the choice list without bound")
    func garbageChunks() {
        var accumulator = codec.makeAccumulator()
        for data in [#"{"choices":"x"}"#, #"{"choices":[{"index":1000000000,"delta":{"content":"far"}}]}"#,
                     #"{"choices":[{"index":-1,"delta":{"content":"neg"}}]}"#, "[]", "42", #"{"choices":[{"delta":{"content":"ok"}}]}"#] {
            accumulator.consume(SSEEvent(data: data))
        }
        let outcome = accumulator.outcome()
        #expect(outcome.choices == ["ok"])
        #expect(outcome.error == nil)
        let body = codec.outcome(fromBody: Array(#"{"object":"chat.completion","choices":[{"index":99999999,"message":{"content":"x"}}]}"#.utf8), status: 200)
        #expect(body.choices == [""])
    }

    @Test("only [DONE] is a terminator")
    func terminatorIsDone() {
        #expect(codec.isTerminator(SSEEvent(data: "[DONE]")))
        #expect(!codec.isTerminator(SSEEvent(data: #"{"choices":[]}"#)))
        #expect(!codec.isTerminator(codec.inBandErrorEvent(kind: .serverError, message: nil)))
    }

    // MARK: Synthesis

    static let handBuiltOutcomes: [Outcome] = {
        var twoChoices = Outcome(dialect: .openAIChat, model: "gpt-4o-mini", text: "First answer.", finishReason: .stop, terminated: true)
        twoChoices.append(text: "Second, different answer.", choice: 1)
        return [
            Outcome(dialect: .openAIChat, model: "gpt-4o", text: "Hello there, how are you today?", finishReason: .stop,
                    usage: Usage(inputTokens: 12, outputTokens: 9), terminated: true),
            Outcome(dialect: .openAIChat, model: "gpt-4o", text: "Line one\nLine \"two\" with \\ and “quotes” — 🚀 ünïcode\r\n",
                    finishReason: .length, terminated: true),
            Outcome(dialect: .openAIChat, model: "gpt-4o", text: "",
                    toolCalls: [ToolCall(id: "call_1", name: "lookup", arguments: #"{"query":"weather in Paris, FR","days":3}"#),
                                ToolCall(id: "call_2", name: "noop", arguments: "")],
                    finishReason: .toolCalls, usage: Usage(inputTokens: 40, outputTokens: 22), terminated: true),
            Outcome(dialect: .openAIChat, model: "gpt-4o", text: "Let me check.",
                    toolCalls: [ToolCall(id: "call_9", name: "search", arguments: #"{"q":"x"}"#)],
                    finishReason: .toolCalls, terminated: true),
            Outcome(dialect: .openAIChat, model: "gpt-4o", text: "I can't help with that", finishReason: .contentFilter, terminated: true),
            Outcome(dialect: .openAIChat, model: nil, text: "", finishReason: nil, terminated: true),
            twoChoices,
        ]
    }()

    @Test("an outcome that failed mid-stream synthesizes its text, then the in-band error, and no [DONE]")
    func failedOutcomeStreamRoundTrip() {
        let outcome = Outcome(dialect: .openAIChat, model: "gpt-4o", text: "Partial answer so far",
                              error: OutcomeError(kind: .overloaded, status: nil, message: "Overloaded"), terminated: false)
        let events = codec.streamEvents(for: outcome)
        #expect(events.last.map(codec.isTerminator) == false)
        #expect(codec.streamRoundTrip(outcome) == outcome)
    }

    @Test("a synthesized stream looks like OpenAI's: role first, many deltas, usage chunk with no choices, [DONE] last")
    func synthesizedStreamShape() throws {
        let outcome = Self.handBuiltOutcomes[0]
        let events = codec.streamEvents(for: outcome)
        let chunks = try events.dropLast().map { try JSONValue.parse($0.data) }
        #expect(events.last?.data == "[DONE]")
        #expect(events.allSatisfy { $0.type == "message" })
        #expect(chunks.first?["choices"]?[0]?["delta"]?["role"] == "assistant")
        let contentDeltas = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.filter { !$0.isEmpty }
        #expect(contentDeltas.count >= 5)
        #expect(chunks.last?["choices"] == [])
        #expect(chunks.last?["usage"]?["prompt_tokens"] == 12)
        #expect(chunks.dropLast().allSatisfy { $0["usage"] == .null })
        #expect(Set(chunks.compactMap { $0["id"] }).count == 1)
        #expect(chunks.allSatisfy { $0["object"] == "chat.completion.chunk" })
        #expect(Dialect.detect(frames: SSEParser.parse(codec.streamBytes(for: outcome))) == .openAIChat)
    }

    @Test("synthesis is deterministic: the same outcome gives the same bytes")
    func synthesisIsDeterministic() {
        let outcome = Self.handBuiltOutcomes[2]
        #expect(codec.streamBytes(for: outcome) == codec.streamBytes(for: outcome))
        #expect(JSONWriter.bytes(codec.body(for: outcome)) == JSONWriter.bytes(codec.body(for: outcome)))
    }

    // MARK: Errors

    static let classificationTable: [(status: Int, body: String, kind: ErrorKind)] = [
        (429, #"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#, .rateLimit),
        (429, #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#, .rateLimit),
        (503, #"{"error":{"message":"The server is overloaded","type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}}"#, .overloaded),
        (503, #"{"error":{"message":"Service unavailable","type":"server_error","param":null,"code":null}}"#, .overloaded),
        (500, #"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#, .serverError),
        (502, "<html><body>502 Bad Gateway</body></html>", .serverError),
        (400, #"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#, .contextWindow),
        (400, #"{"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}"#, .contentPolicy),
        (400, #"{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400}}"#, .contentPolicy),
        (401, #"{"error":{"message":"Incorrect API key provided: sk-abc***.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#, .auth),
        (403, #"{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","param":null,"code":"unsupported_country_region_territory"}}"#, .auth),
        (404, #"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#, .notFound),
        (400, #"{"error":{"message":"This model does not support assistant message prefill. The conversation must end with a user message.","type":"invalid_request_error","param":null,"code":null}}"#, .prefillRejected),
        (400, #"{"error":{"message":"Invalid value for 'temperature'.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}"#, .badRequest),
        (408, #"{"error":{"message":"Request timed out.","type":"server_error","param":null,"code":null}}"#, .timeout),
        (504, "Gateway Timeout", .timeout),
        (429, #"{"error":{"message":"litellm.RateLimitError: AnthropicException - Overloaded","type":null,"param":null,"code":"429"}}"#, .rateLimit),
        (500, #"{"error":{"message":"litellm.ContextWindowExceededError: prompt is too long","type":null,"param":null,"code":"400"}}"#, .contextWindow),
    ]

    @Test("HTTP errors classify into the taxonomy by code, type, message and status")
    func httpErrorClassification() {
        for row in Self.classificationTable {
            let error = codec.classify(status: row.status, body: Array(row.body.utf8))
            #expect(error.kind == row.kind, "\(row.status) \(row.body)")
            #expect(error.status == row.status)
        }
    }

    @Test("in-band error chunks classify by code, type and message, and carry no status")
    func inBandClassification() {
        let cases: [(String, ErrorKind)] = [
            (#"{"error":{"message":"Rate limit reached","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#, .rateLimit),
            (#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#, .serverError),
            (#"{"error":{"code":502,"message":"Provider returned error"}}"#, .serverError),
            (#"{"error":{"code":429,"message":"Provider returned error"}}"#, .rateLimit),
            (#"{"error":"upstream connection reset"}"#, .connection),
        ]
        for (data, kind) in cases {
            let error = codec.classify(inBand: SSEEvent(data: data))
            #expect(error?.kind == kind, "\(data)")
            #expect(error != nil && error?.status == nil)
        }
        #expect(codec.classify(inBand: SSEEvent(data: #"{"choices":[],"error":null}"#)) == nil)
        #expect(codec.classify(inBand: SSEEvent(data: "[DONE]")) == nil)
        #expect(codec.classify(inBand: SSEEvent(data: "{not json")) == nil)
    }

    @Test("a synthesized HTTP error has OpenAI's shape and headers and classifies back to its kind", arguments: ErrorKind.allCases)
    func errorResponseRoundTrip(kind: ErrorKind) throws {
        let response = codec.errorResponse(kind: kind, message: nil, retryAfter: 7)
        #expect(response.status == codec.status(for: kind))
        let error = try #require(try JSONValue.parse(response.body)["error"])
        #expect(Set(error.objectValue?.keys.map { $0 } ?? []) == ["message", "type", "param", "code"])
        #expect(error["message"]?.stringValue == kind.defaultMessage)
        let headers = Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(headers["content-type"] == "application/json")
        #expect(headers["retry-after"] == "7")
        #expect(headers["retry-after-ms"] == "7000")
        #expect(headers["x-request-id"]?.hasPrefix("req_") == true)
        #expect(codec.classify(status: response.status, body: response.body).kind == kind)
        let outcome = codec.outcome(fromBody: response.body, status: response.status)
        #expect(outcome.error == OutcomeError(kind: kind, status: response.status, message: kind.defaultMessage))
        #expect(!outcome.terminated)
        // Without the status (a file on disk) the body alone gives the same kind and status.
        #expect(codec.outcome(fromBody: response.body, status: nil).error?.status == response.status)
    }

    @Test("an HTTP error without retry-after sends no retry headers, and keeps a given message")
    func errorResponseWithoutRetryAfter() throws {
        let response = codec.errorResponse(kind: .rateLimit, message: "Slow down", retryAfter: nil)
        #expect(!response.headers.contains { $0.name.hasPrefix("retry-after") })
        #expect(codec.classify(status: 429, body: response.body) == OutcomeError(kind: .rateLimit, status: 429, message: "Slow down"))
    }

    @Test("a synthesized in-band error event classifies back to its kind", arguments: ErrorKind.allCases)
    func inBandErrorRoundTrip(kind: ErrorKind) throws {
        let event = codec.inBandErrorEvent(kind: kind, message: nil)
        #expect(event.type == "message")
        #expect(try JSONValue.parse(event.data)["error"]?["message"]?.stringValue == kind.defaultMessage)
        #expect(codec.classify(inBand: event) == OutcomeError(kind: kind, status: nil, message: kind.defaultMessage))
    }

    @Test("the statuses OpenAI uses for each kind")
    func statusesPerKind() {
        #expect(codec.status(for: .rateLimit) == 429)
        #expect(codec.status(for: .overloaded) == 503)
        #expect(codec.status(for: .serverError) == 500)
        #expect(codec.status(for: .contextWindow) == 400)
        #expect(codec.status(for: .prefillRejected) == 400)
        #expect(codec.status(for: .auth) == 401)
        #expect(codec.status(for: .notFound) == 404)
        #expect(codec.status(for: .timeout) == 408)
    }

    @Test("a 2xx body that is not JSON is a malformed outcome")
    func malformedBody() {
        let outcome = codec.outcome(fromBody: Array(#"{"id":"chatcmpl-1","choices":["#.utf8), status: 200)
        #expect(outcome.error?.kind == .malformed)
        #expect(!outcome.terminated)
    }

    // MARK: Continuation

    static let originalRequest: JSONValue = [
        "model": "gpt-4o", "stream": true, "temperature": 0.2, "stream_options": ["include_usage": true],
        "messages": [
            ["role": "system", "content": "Be brief."],
            ["role": "user", "content": "Explain TCP slow start."],
        ],
    ]

    @Test("prefill continuation appends one assistant message with prefix: true and touches nothing else")
    func prefillContinuation() throws {
        let request = codec.continuationRequest(original: Self.originalRequest, partialText: "TCP slow start", style: .prefill)
        var expected = Self.originalRequest
        expected["messages"] = .array(try #require(Self.originalRequest["messages"]?.arrayValue) + [
            ["role": "assistant", "content": "TCP slow start", "prefix": true],
        ])
        #expect(request == expected)
        let view = codec.requestView(body: request, path: "/v1/chat/completions")
        #expect(view.endsWithAssistantPrefill)
        #expect(view.prefillText == "TCP slow start")
    }

    @Test("user-message continuation appends the partial assistant turn, then the continuation instruction")
    func userMessageContinuation() throws {
        let request = codec.continuationRequest(original: Self.originalRequest, partialText: "TCP slow start", style: .userMessage)
        var expected = Self.originalRequest
        expected["messages"] = .array(try #require(Self.originalRequest["messages"]?.arrayValue) + [
            ["role": "assistant", "content": "TCP slow start"],
            ["role": "user", "content": .string(continuationInstruction)],
        ])
        #expect(request == expected)
        #expect(codec.requestView(body: request, path: "/v1/chat/completions").lastRole == "user")
    }

    @Test("an empty partial text gives back the original request: there is nothing to continue")
    func emptyContinuation() {
        for style in ContinuationStyle.allCases {
            #expect(codec.continuationRequest(original: Self.originalRequest, partialText: "", style: style) == Self.originalRequest)
        }
    }

    // MARK: Request view

    @Test("the request view reads model, stream, endpoint and every turn's text")
    func requestView() {
        let body: JSONValue = [
            "model": "gpt-4o-mini", "stream": true,
            "messages": [
                ["role": "developer", "content": "You are terse."],
                ["role": "user", "content": [
                    ["type": "text", "text": "Describe this image."],
                    ["type": "image_url", "image_url": ["url": "https://example.com/cat.png"]],
                    ["type": "text", "text": "In one line."],
                ]],
                ["role": "assistant", "content": nil, "tool_calls": [
                    ["id": "call_1", "type": "function", "function": ["name": "look", "arguments": "{}"]],
                ]],
                ["role": "tool", "tool_call_id": "call_1", "content": "a cat"],
            ],
        ]
        let view = codec.requestView(body: body, path: "/openai/v1/chat/completions?api-version=1")
        #expect(view.dialect == .openAIChat)
        #expect(view.endpoint == "/openai/v1/chat/completions")
        #expect(view.model == "gpt-4o-mini")
        #expect(view.stream)
        #expect(view.turns.map(\.role) == ["system", "user", "assistant", "tool"])
        #expect(view.turns[1].text == "Describe this image.\nIn one line.")
        #expect(view.turns[2].text == #"{"function":{"arguments":"{}","name":"look"},"id":"call_1","type":"function"}"#)
        #expect(view.lastRole == "tool")
        #expect(!view.endsWithAssistantPrefill)
    }

    @Test("a request without stream is non-stream, and a trailing assistant turn is a prefill")
    func requestViewPrefill() {
        let body: JSONValue = ["model": "deepseek-chat", "messages": [
            ["role": "user", "content": "Write a haiku"], ["role": "assistant", "content": "Autumn", "prefix": true],
        ]]
        let view = codec.requestView(body: body, path: "/v1/chat/completions")
        #expect(!view.stream)
        #expect(view.endsWithAssistantPrefill)
        #expect(view.prefillText == "Autumn")
    }
}
