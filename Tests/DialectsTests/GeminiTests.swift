import Foundation
import SSE
import Testing

@testable import Dialects

private let fixtures = FixtureFolder.gemini
private let codec = GeminiCodec()

private func accumulate(_ chunks: [JSONValue]) -> Outcome {
    var accumulator = codec.makeAccumulator()
    for chunk in chunks { accumulator.consume(SSEEvent(data: JSONWriter.string(chunk))) }
    return accumulator.outcome()
}

private func textChunk(_ text: String, finish: String? = nil) -> JSONValue {
    var candidate: JSONValue = ["content": ["role": "model", "parts": [["text": .string(text)]]], "index": 0]
    if let finish { candidate["finishReason"] = .string(finish) }
    return ["candidates": [candidate]]
}

extension GeminiTests {
    /// Hand-built outcomes covering what the fixtures do not: several choices, no usage, no model,
    /// explicit call ids, Unicode, an empty answer, a finish reason Gemini has no name for.
    static let handBuiltOutcomes: [Outcome] = {
        var twoChoices = Outcome(dialect: .gemini, model: "gemini-2.5-flash", text: "First answer, a little longer than the second one.",
                                 finishReason: .stop, usage: Usage(inputTokens: 8, outputTokens: 20), terminated: true)
        twoChoices.choices.append("Second answer.")
        return [
            twoChoices,
            Outcome(dialect: .gemini, text: "No usage and no model here, only words.", finishReason: .stop, terminated: true),
            Outcome(dialect: .gemini, model: "gemini-3-pro-preview",
                    toolCalls: [ToolCall(id: "fc_1", name: "lookup", arguments: #"{"limit":5,"q":"tapedeck"}"#),
                                ToolCall(id: "call_1_noop", name: "noop", arguments: "{}")],
                    finishReason: .toolCalls, usage: Usage(inputTokens: 100, outputTokens: 40), terminated: true),
            Outcome(dialect: .gemini, model: "m", text: "Ünïcödé — 日本語のテキスト 🎉\nline two\r\n\ttabbed \"quoted\" \\ backslash",
                    finishReason: .length, usage: Usage(inputTokens: 1, outputTokens: 0), terminated: true),
            Outcome(dialect: .gemini, model: "m", text: String(repeating: "x", count: 200), finishReason: .contentFilter, terminated: true),
            Outcome(dialect: .gemini, model: "m", text: "", finishReason: .stop, usage: Usage(inputTokens: 5, outputTokens: 0), terminated: true),
            Outcome(dialect: .gemini, model: "m", text: "Stopped for a reason with no name.", terminated: true),
        ]
    }()
}

@Suite("Gemini dialect")
struct GeminiTests {
    // MARK: Fixtures

    @Test("Fixture streams use CRLF line endings, except the LF-only variant")
    func fixtureLineEndings() throws {
        for fixture in fixtures.fixtures where fixture.isStream {
            let name = fixture.name
            let text = String(decoding: try fixture.bytes, as: UTF8.self)
            let loneLineFeeds = text.replacingOccurrences(of: "\r\n", with: "").contains("\n")
            if name == "text-stop-lf.sse" {
                #expect(!text.contains("\r"), "\(name)")
            } else {
                #expect(!loneLineFeeds, "\(name)")
            }
        }
    }

    // MARK: Round trips

    @Test("Streams that ended in an error or were cut survive the stream round trip")
    func streamRoundTripOfUnfinishedOutcomes() throws {
        let expected = try fixtures.expectedOutcomes()
        for name in ["inband-error-midstream.sse", "cut-mid-stream.sse"] {
            let outcome = try #require(expected[name])
            #expect(codec.streamRoundTrip(outcome) == outcome, "\(name)")
        }
    }

    @Test("A synthesized stream is several CRLF data chunks, the last with finishReason and usageMetadata")
    func synthesizedStreamShape() throws {
        let outcome = try #require(try fixtures.expectedOutcomes()["long-answer-usage.sse"])
        let events = codec.streamEvents(for: outcome)
        #expect(events.count > 3)
        #expect(events.allSatisfy { $0.type == "message" })
        let chunks = try events.map { try JSONValue.parse($0.data) }
        let last = try #require(chunks.last)
        #expect(last["candidates"]?[0]?["finishReason"] == "STOP")
        #expect(last["usageMetadata"]?["candidatesTokenCount"] == 1043)
        #expect(last["usageMetadata"]?["promptTokenCount"] == 24)
        #expect(chunks.dropLast().allSatisfy { $0["candidates"]?[0]?["finishReason"] == nil })
        #expect(chunks.allSatisfy { $0["modelVersion"] == "gemini-2.5-pro" })

        let text = String(decoding: codec.streamBytes(for: outcome), as: UTF8.self)
        #expect(text.hasPrefix("data: {"))
        #expect(!text.contains("event:"))
        #expect(text.hasSuffix("}\r\n\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test("Synthesized function calls carry an id only when a reader could not rebuild it")
    func synthesizedCallIDs() throws {
        let outcome = try #require(try fixtures.expectedOutcomes()["function-call.json"])
        let parts = try #require(codec.body(for: outcome)["candidates"]?[0]?["content"]?["parts"]?.arrayValue)
        let calls = parts.compactMap { $0["functionCall"] }
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { $0["id"] == nil })
        #expect(calls[0]["args"] == ["city": "Paris"])

        let withID = try #require(Self.handBuiltOutcomes.first { $0.toolCalls.first?.id == "fc_1" })
        let explicit = codec.body(for: withID)["candidates"]?[0]?["content"]?["parts"]?.arrayValue?.compactMap { $0["functionCall"] } ?? []
        #expect(explicit.map { $0["id"]?.stringValue } == ["fc_1", nil])
    }

    // MARK: Stream semantics

    @Test("The last usageMetadata wins and thinking tokens count as output")
    func lastUsageWins() {
        let outcome = accumulate([
            ["candidates": [["content": ["parts": [["text": "a"]]], "index": 0]], "usageMetadata": ["promptTokenCount": 10, "totalTokenCount": 10]],
            ["candidates": [["content": ["parts": [["text": "b"]]], "finishReason": "STOP", "index": 0]],
             "usageMetadata": ["promptTokenCount": 10, "candidatesTokenCount": 4, "thoughtsTokenCount": 30, "totalTokenCount": 44]],
        ])
        #expect(outcome.usage == Usage(inputTokens: 10, outputTokens: 34))
        #expect(outcome.text == "ab")
    }

    @Test("A stream counts as terminated once a finishReason arrives and no content follows it")
    func terminationRule() {
        #expect(!accumulate([textChunk("Hello"), textChunk(" world")]).terminated)
        #expect(accumulate([textChunk("Hello"), textChunk(" world", finish: "STOP")]).terminated)
        let trailingUsage: JSONValue = ["usageMetadata": ["promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5]]
        #expect(accumulate([textChunk("Hello", finish: "STOP"), trailingUsage]).terminated)
        #expect(!accumulate([textChunk("Hello", finish: "STOP"), textChunk(" again")]).terminated)
        let error: JSONValue = ["error": ["code": 500, "message": "boom", "status": "INTERNAL"]]
        #expect(!accumulate([textChunk("Hello", finish: "STOP"), error]).terminated)
    }

    @Test("Every cut of a stream before its finishing chunk leaves it unterminated")
    func cutStreamIsNotTerminated() throws {
        let bytes = try fixtures.fixture("text-stop.sse").bytes
        #expect(codec.outcome(fromFrames: SSEParser.parse(bytes)).terminated)
        // Without its final LF the stream still ends in CR, a complete blank line: that cut is whole.
        let cuts = Array(stride(from: 0, to: bytes.count - 200, by: 13)) + Array((bytes.count - 200)..<(bytes.count - 1))
        let terminatedCuts = cuts.filter { codec.outcome(fromFrames: SSEParser.parse(bytes.prefix($0))).terminated }
        #expect(terminatedCuts.isEmpty, "cuts reported as terminated: \(terminatedCuts.prefix(5))")
    }

    @Test("Finish reasons normalize as documented, STOP meaning tool calls after a function call")
    func finishReasonsNormalize() {
        let table: [(String, Bool, FinishReason?)] = [
            ("STOP", false, .stop), ("STOP", true, .toolCalls), ("MAX_TOKENS", false, .length),
            ("SAFETY", false, .contentFilter), ("RECITATION", false, .contentFilter), ("BLOCKLIST", false, .contentFilter),
            ("PROHIBITED_CONTENT", false, .contentFilter), ("SPII", false, .contentFilter),
            ("OTHER", false, nil), ("MALFORMED_FUNCTION_CALL", true, nil),
        ]
        for (raw, called, expected) in table {
            #expect(GeminiCodec.finishReason(raw: raw, producedFunctionCall: called) == expected, "\(raw)")
        }
    }

    @Test("Thought parts are not answer text")
    func thoughtsAreNotText() {
        let outcome = accumulate([
            ["candidates": [["content": ["parts": [["text": "planning…", "thought": true], ["text": "Answer."]]], "finishReason": "STOP"]]],
        ])
        #expect(outcome.text == "Answer.")
    }

    @Test("Invalid JSON in a data frame is a malformed error and nothing after it counts")
    func invalidJSONIsMalformed() {
        var accumulator = codec.makeAccumulator()
        accumulator.consume(SSEEvent(data: JSONWriter.string(textChunk("ok"))))
        accumulator.consume(SSEEvent(data: #"{"candidates": [{"#))
        accumulator.consume(SSEEvent(data: JSONWriter.string(textChunk("!", finish: "STOP"))))
        let outcome = accumulator.outcome()
        #expect(outcome.error?.kind == .malformed)
        #expect(outcome.text == "ok")
        #expect(!outcome.terminated)
    }

    @Test("A chunk with a finishReason or a prompt block reason is a terminator")
    func terminatorDetection() {
        #expect(codec.isTerminator(SSEEvent(data: JSONWriter.string(textChunk("x", finish: "MAX_TOKENS")))))
        #expect(codec.isTerminator(SSEEvent(data: #"{"promptFeedback": {"blockReason": "SAFETY"}}"#)))
        #expect(!codec.isTerminator(SSEEvent(data: JSONWriter.string(textChunk("x")))))
        #expect(!codec.isTerminator(SSEEvent(data: "not json")))
    }

    @Test("A body of several chunks (streamGenerateContent without alt=sse) reads like the stream")
    func arrayBody() {
        let body: JSONValue = [textChunk("Hello"), textChunk(" there", finish: "STOP")]
        let outcome = codec.outcome(fromBody: JSONWriter.bytes(body), status: 200)
        #expect(outcome.text == "Hello there")
        #expect(outcome.finishReason == .stop)
        #expect(outcome.terminated)
    }

    // MARK: Errors

    @Test("HTTP error bodies classify into the taxonomy", arguments: [
        (429, #"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#, ErrorKind.rateLimit),
        (503, #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#, .overloaded),
        (500, #"{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}"#, .serverError),
        (504, #"{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}"#, .timeout),
        (400, #"{"error":{"code":400,"message":"The input token count (1238491) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#, .contextWindow),
        (400, #"{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"foo\".","status":"INVALID_ARGUMENT"}}"#, .badRequest),
        (400, #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#, .auth),
        (400, #"{"error":{"code":400,"message":"Please ensure that multiturn requests ends with a user role or a function response.","status":"INVALID_ARGUMENT"}}"#, .prefillRejected),
        (403, #"{"error":{"code":403,"message":"Permission denied on resource project.","status":"PERMISSION_DENIED"}}"#, .auth),
        (401, #"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#, .auth),
        (404, #"{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}"#, .notFound),
        (400, #"[{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}]"#, .badRequest),
        (502, "<html><body>502 Bad Gateway</body></html>", .connection),
    ])
    func httpErrorsClassify(status: Int, body: String, kind: ErrorKind) {
        let error = codec.classify(status: status, body: Array(body.utf8))
        #expect(error.kind == kind)
        #expect(error.status == status)
        #expect(!error.message.isEmpty)
    }

    @Test("Each synthesized HTTP error classifies back to its kind with the provider's status and headers",
          arguments: ErrorKind.allCases.filter { $0 != .malformed })
    func errorResponsesClassifyBack(kind: ErrorKind) throws {
        let response = codec.errorResponse(kind: kind, message: nil, retryAfter: 19)
        #expect(response.status == codec.status(for: kind))
        #expect(codec.classify(status: response.status, body: response.body).kind == kind)
        let body = try JSONValue.parse(response.body)
        #expect(body["error"]?["code"]?.intValue == response.status)
        #expect(body["error"]?["status"]?.stringValue?.isEmpty == false)
        let retry = body["error"]?["details"]?.arrayValue?.first { $0["@type"] == "type.googleapis.com/google.rpc.RetryInfo" }
        #expect(retry?["retryDelay"] == "19s")
        #expect(response.headers.contains(HTTPField("retry-after", "19")))
        #expect(response.headers.first?.name == "content-type")
        // Read back from a file (no status known), the body gives the same kind.
        #expect(codec.outcome(fromBody: response.body, status: nil).error?.kind == kind)

        let plain = codec.errorResponse(kind: kind, message: "custom", retryAfter: nil)
        #expect(!plain.headers.contains { $0.name == "retry-after" })
        #expect(try JSONValue.parse(plain.body)["error"]?["details"] == nil)
    }

    @Test("Provider statuses: overloaded is 503, rate limit 429, timeout 504")
    func providerStatuses() {
        #expect(codec.status(for: .overloaded) == 503)
        #expect(codec.status(for: .rateLimit) == 429)
        #expect(codec.status(for: .timeout) == 504)
        #expect(codec.status(for: .serverError) == 500)
        #expect(codec.status(for: .contextWindow) == 400)
        #expect(codec.status(for: .notFound) == 404)
    }

    @Test("Each synthesized in-band error chunk classifies back to its kind",
          arguments: ErrorKind.allCases.filter { $0 != .malformed })
    func inBandEventsClassifyBack(kind: ErrorKind) throws {
        let event = codec.inBandErrorEvent(kind: kind, message: nil)
        #expect(event.type == "message")
        #expect(try JSONValue.parse(event.data)["error"]?["status"] != nil)
        let error = try #require(codec.classify(inBand: event))
        #expect(error.kind == kind)
        #expect(error.status == nil)
    }

    @Test("Ordinary chunks are not in-band errors")
    func ordinaryChunksAreNotErrors() {
        #expect(codec.classify(inBand: SSEEvent(data: JSONWriter.string(textChunk("x")))) == nil)
        #expect(codec.classify(inBand: SSEEvent(data: "garbage")) == nil)
    }

    @Test("A body read with an error status is an error outcome even when it is not JSON")
    func bodiesWithErrorStatus() {
        let html = codec.outcome(fromBody: Array("<html>502</html>".utf8), status: 502)
        #expect(html.error?.kind == .connection)
        #expect(html.error?.status == 502)
        let garbage = codec.outcome(fromBody: Array("{not json".utf8), status: 200)
        #expect(garbage.error?.kind == .malformed)
        #expect(!garbage.terminated)
    }

    // MARK: Requests

    private static let request: JSONValue = [
        "systemInstruction": ["parts": [["text": "You are terse."], ["text": "Answer in English."]]],
        "contents": [
            ["role": "user", "parts": [["text": "What's the weather in Paris?"]]],
            ["role": "model", "parts": [["functionCall": ["name": "get_weather", "args": ["city": "Paris"]]]]],
            ["role": "user", "parts": [["functionResponse": ["name": "get_weather", "response": ["temp": "18°C"]]]]],
        ],
        "tools": [["functionDeclarations": [["name": "get_weather"]]]],
        "generationConfig": ["maxOutputTokens": 256],
    ]

    @Test("Model and stream come from the path, with or without a gateway prefix and query",
          arguments: [
              ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "gemini-2.5-flash", true,
               "/v1beta/models/gemini-2.5-flash:streamGenerateContent"),
              ("/v1beta/models/gemini-2.5-pro:generateContent", "gemini-2.5-pro", false, "/v1beta/models/gemini-2.5-pro:generateContent"),
              ("/gemini/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=AIzaSECRET", "gemini-2.0-flash", true,
               "/gemini/v1beta/models/gemini-2.0-flash:streamGenerateContent"),
              ("/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash", false,
               "/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"),
          ])
    func pathParsing(path: String, model: String, stream: Bool, endpoint: String) {
        let view = codec.requestView(body: Self.request, path: path)
        #expect(view.model == model)
        #expect(view.stream == stream)
        #expect(view.endpoint == endpoint)
        #expect(!view.endpoint.contains("SECRET"))
    }

    @Test("The request view reports system instruction, model turns as assistant and function responses as tool")
    func requestView() {
        let view = codec.requestView(body: Self.request, path: "/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(view.dialect == .gemini)
        #expect(view.turns.map(\.role) == ["system", "user", "assistant", "tool"])
        #expect(view.turns[0].text == "You are terse.\nAnswer in English.")
        #expect(view.turns[2].text.contains(#""name":"get_weather""#))
        #expect(view.lastRole == "tool")
        #expect(!view.endsWithAssistantPrefill)

        let snake: JSONValue = ["system_instruction": ["parts": [["text": "Be brief."]]],
                                "contents": [["parts": [["text": "Hi"]]], ["role": "model", "parts": [["text": "Hello"]]]]]
        let snakeView = codec.requestView(body: snake, path: "/v1beta/models/m:generateContent")
        #expect(snakeView.turns == [ChatTurn(role: "system", text: "Be brief."), ChatTurn(role: "user", text: "Hi"),
                                    ChatTurn(role: "assistant", text: "Hello")])
        #expect(snakeView.endsWithAssistantPrefill)
        #expect(snakeView.prefillText == "Hello")
    }

    @Test("A prefill continuation appends a model content with the partial text and changes nothing else")
    func prefillContinuation() throws {
        let continued = codec.continuationRequest(original: Self.request, partialText: "It is 18°C and", style: .prefill)
        let contents = try #require(continued["contents"]?.arrayValue)
        #expect(contents.count == 4)
        #expect(contents.last == ["role": "model", "parts": [["text": "It is 18°C and"]]])
        var rest = continued
        rest["contents"] = .array(Array(contents.dropLast()))
        #expect(rest == Self.request)
        #expect(codec.requestView(body: continued, path: "/v1beta/models/m:generateContent").prefillText == "It is 18°C and")
    }

    @Test("A user-message continuation adds the partial model turn, then the continue instruction")
    func userMessageContinuation() throws {
        let continued = codec.continuationRequest(original: Self.request, partialText: "It is 18°C and", style: .userMessage)
        let contents = try #require(continued["contents"]?.arrayValue)
        #expect(contents.count == 5)
        #expect(contents[3] == ["role": "model", "parts": [["text": "It is 18°C and"]]])
        #expect(contents[4] == ["role": "user", "parts": [["text": .string(continuationInstruction)]]])
        #expect(continued["systemInstruction"] == Self.request["systemInstruction"])
        #expect(continued["generationConfig"] == Self.request["generationConfig"])
        #expect(continued["tools"] == Self.request["tools"])
    }

    @Test("A continuation of a request that already ended with a model turn extends its text")
    func continuationExtendsExistingModelTurn() {
        let original: JSONValue = ["contents": [["role": "user", "parts": [["text": "JSON please"]]], ["role": "model", "parts": [["text": "{"]]]]]
        let continued = codec.continuationRequest(original: original, partialText: #""a": 1,"#, style: .prefill)
        #expect(continued["contents"]?.arrayValue?.count == 2)
        #expect(continued["contents"]?[1]?["parts"] == [["text": #"{"a": 1,"#]])
    }
}
