import Cassettes
import Dialects
import Faults
import SSE
import Testing

@testable import Replay

/// Matching requests to the demo cassette's recordings: exact, loose, continuation-aware, misses.
@Suite("Recording matcher")
struct RecordingMatcherTests {
    static let library = try! RecordingLibrary.load(path: Fixtures.url("cassettes/demo.jsonl").path)

    static func chat(_ messages: [JSONValue], model: String = "gpt-4o-mini", stream: Bool = true, extra: [String: JSONValue] = [:]) -> [UInt8] {
        var body: [String: JSONValue] = ["model": .string(model), "messages": .array(messages), "stream": .bool(stream)]
        for (key, value) in extra { body[key] = value }
        return JSONWriter.bytes(.object(body))
    }

    static let paris: [JSONValue] = [
        ["role": "system", "content": "You are a concise assistant."],
        ["role": "user", "content": "What is the capital of France?"],
    ]

    @Test("the demo cassette loads every interaction")
    func loads() {
        #expect(Self.library.recordings.count == 6)
        #expect(Self.library.skipped.isEmpty)
    }

    @Test("the same request matches exactly, whatever its stream flag, user or stream_options")
    func exact() {
        var matcher = RecordingMatcher(library: Self.library)
        for stream in [true, false] {
            let body = Self.chat(Self.paris, stream: stream, extra: ["user": "someone", "stream_options": ["include_usage": false]])
            let match = matcher.match(IncomingRequest(dialect: .openAIChat, target: "/openai/v1/chat/completions", body: body))
            #expect(match.kind == .exact)
            #expect(match.recording?.id == "demo-openai-paris")
        }
    }

    @Test("identical requests replay in recorded order, then repeat the last")
    func recordedOrder() {
        let body = JSONWriter.bytes([
            "model": "claude-sonnet-4-5", "max_tokens": 1024, "system": "You are a concise assistant.", "stream": true,
            "messages": [["role": "user", "content": "Explain what a cassette is in one sentence."]],
        ])
        var matcher = RecordingMatcher(library: Self.library)
        let ids = (0..<3).map { _ in matcher.match(IncomingRequest(dialect: .anthropicMessages, target: "/v1/messages", body: body)).recording?.id }
        #expect(ids == ["demo-anthropic-hello", "demo-anthropic-overloaded", "demo-anthropic-overloaded"])
        matcher.reset()
        #expect(matcher.match(IncomingRequest(dialect: .anthropicMessages, target: "/v1/messages", body: body)).recording?.id == "demo-anthropic-hello")
    }

    @Test("a request with other parameters but the same conversation matches loosely")
    func looseSameConversation() {
        var matcher = RecordingMatcher(library: Self.library)
        let match = matcher.match(IncomingRequest(dialect: .openAIChat, target: "/v1/chat/completions",
                                                  body: Self.chat(Self.paris, extra: ["max_tokens": 77])))
        #expect(match.kind == .loose)
        #expect(match.recording?.id == "demo-openai-paris")
        #expect(match.continuation == nil && match.remainder == nil)
    }

    @Test("a prefill continuation of the recorded answer is answered with the remainder")
    func prefillRemainder() {
        var matcher = RecordingMatcher(library: Self.library)
        let body = Self.chat(Self.paris + [["role": "assistant", "content": "The capital of"]])
        let match = matcher.match(IncomingRequest(dialect: .openAIChat, target: "/v1/chat/completions", body: body))
        #expect(match.kind == .loose)
        #expect(match.continuation == DetectedContinuation(style: .prefill, text: "The capital of"))
        #expect(match.remainder == " France is Paris.")
    }

    @Test("a user-message continuation is detected and answered with the remainder")
    func userMessageRemainder() {
        var matcher = RecordingMatcher(library: Self.library)
        let body = Self.chat(Self.paris + [["role": "assistant", "content": "The capital"], ["role": "user", "content": .string(continuationInstruction)]])
        let match = matcher.match(IncomingRequest(dialect: .openAIChat, target: "/v1/chat/completions", body: body))
        #expect(match.continuation == DetectedContinuation(style: .userMessage, text: "The capital"))
        #expect(match.remainder == " of France is Paris.")
    }

    @Test("a request whose system prompt extends the recorded one still matches loosely")
    func extendedSystemPrompt() {
        var matcher = RecordingMatcher(library: Self.library)
        let body = Self.chat([
            ["role": "system", "content": "You are a concise assistant.\nContinue the answer below without repeating it."],
            ["role": "user", "content": "What is the capital of France?"],
            ["role": "assistant", "content": "The capital of"],
        ])
        let match = matcher.match(IncomingRequest(dialect: .openAIChat, target: "/v1/chat/completions", body: body))
        #expect(match.kind == .loose)
        #expect(match.remainder == " France is Paris.")
        let other = Self.chat([["role": "system", "content": "You are verbose."], ["role": "user", "content": "What is the capital of France?"]])
        #expect(matcher.match(IncomingRequest(dialect: .openAIChat, target: "/v1/chat/completions", body: other)).kind == .miss)
    }

    @Test("another dialect asking the same model and conversation matches loosely")
    func crossDialect() {
        var matcher = RecordingMatcher(library: Self.library)
        let body = JSONWriter.bytes([
            "model": "gpt-4o-mini", "system": "You are a concise assistant.", "max_tokens": 100,
            "messages": [["role": "user", "content": "What is the capital of France?"]],
        ])
        let match = matcher.match(IncomingRequest(dialect: .anthropicMessages, target: "/anthropic/v1/messages", body: body))
        #expect(match.kind == .loose)
        #expect(match.recording?.id == "demo-openai-paris")
    }

    @Test("a miss names the nearest recording and what differs")
    func miss() {
        var matcher = RecordingMatcher(library: Self.library)
        let body = Self.chat([["role": "system", "content": "You are a concise assistant."], ["role": "user", "content": "What is the capital of Spain?"]])
        let match = matcher.match(IncomingRequest(dialect: .openAIChat, target: "/v1/chat/completions", body: body))
        #expect(match.kind == .miss)
        #expect(match.explanation == "no recording answers /v1/chat/completions for model gpt-4o-mini; the nearest is interaction demo-openai-paris (/v1/chat/completions, model gpt-4o-mini), which differs in turn 1 text.")
    }

    @Test("endpoints are normalized across provider prefixes and missing /v1")
    func endpoints() {
        #expect(EndpointPath.normalize("/openai/v1/chat/completions?x=1") == "/v1/chat/completions")
        #expect(EndpointPath.normalize("/chat/completions") == "/v1/chat/completions")
        #expect(EndpointPath.normalize("/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse") == "/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(EndpointPath.provider(of: "/anthropic/v1/messages") == "anthropic")
    }
}

/// Answers built from matches: frame-exact, synthesized across modes and dialects, remainders.
@Suite("Answer builder")
struct AnswerBuilderTests {
    static let library = RecordingMatcherTests.library

    private func answer(_ dialect: Dialect, _ target: String, _ body: [UInt8]) -> (CleanResponse, IncomingRequest) {
        var matcher = RecordingMatcher(library: Self.library)
        let request = IncomingRequest(dialect: dialect, target: target, body: body)
        return (AnswerBuilder.answer(for: request, match: matcher.match(request)), request)
    }

    private func outcome(_ response: CleanResponse, _ dialect: Dialect) -> Outcome {
        switch response {
        case .stream(let stream): return dialect.codec.outcome(fromFrames: SSEParser.parse(stream.frames.flatMap(\.bytes)))
        case .body(let body): return dialect.codec.outcome(fromBody: body.bytes, status: body.status)
        }
    }

    @Test("same dialect and mode replays the recorded frames exactly")
    func frameExact() throws {
        let (response, _) = answer(.openAIChat, "/v1/chat/completions",
                                   RecordingMatcherTests.chat(RecordingMatcherTests.paris, extra: ["stream_options": ["include_usage": true]]))
        guard case .stream(let stream) = response else { Issue.record("expected a stream"); return }
        let recording = try #require(Self.library.recordings.first { $0.id == "demo-openai-paris" })
        guard case .frames(let frames) = recording.interaction.content else { Issue.record("expected frames"); return }
        #expect(stream.frames == frames)
    }

    @Test("an OpenAI stream request that did not ask for usage gets no usage chunk, as OpenAI sends it")
    func usageChunkOnlyWhenAsked() {
        let (response, _) = answer(.openAIChat, "/v1/chat/completions", RecordingMatcherTests.chat(RecordingMatcherTests.paris))
        guard case .stream(let stream) = response else { Issue.record("expected a stream"); return }
        #expect(!stream.frames.contains(where: AnswerBuilder.isUsageChunk))
        #expect(stream.frames.count == 10, "the recording's 11 frames without its usage chunk")
    }

    @Test("a recording that broke off is never rendered as a complete answer in the other mode")
    func brokenRecordingStaysBroken() {
        let body = RecordingMatcherTests.chat([["role": "system", "content": "You are a concise assistant."],
                                               ["role": "user", "content": "Why do gateways break?"]], stream: false)
        let (response, _) = answer(.openAIChat, "/v1/chat/completions", body)
        guard case .body(let whole) = response else { Issue.record("expected a body"); return }
        #expect(whole.status == 502)
        #expect(outcome(response, .openAIChat).error?.kind == .connection)
        let (stream, _) = answer(.anthropicMessages, "/v1/messages", JSONWriter.bytes([
            "model": "gpt-4o-mini", "system": "You are a concise assistant.", "max_tokens": 50, "stream": true,
            "messages": [["role": "user", "content": "Why do gateways break?"]]]))
        #expect(!outcome(stream, .anthropicMessages).terminated)
    }

    @Test("a non-stream request for a stream recording gets the accumulated body", arguments: Dialect.allCases)
    func synthesized(dialect: Dialect) {
        let body: [UInt8]
        let target: String
        switch dialect {
        case .openAIChat:
            body = RecordingMatcherTests.chat(RecordingMatcherTests.paris, stream: false); target = "/v1/chat/completions"
        case .openAIResponses:
            body = JSONWriter.bytes(["model": "gpt-4o-mini", "instructions": "You are a concise assistant.", "input": "What is the capital of France?"]); target = "/v1/responses"
        case .anthropicMessages:
            body = JSONWriter.bytes(["model": "gpt-4o-mini", "system": "You are a concise assistant.", "max_tokens": 50, "messages": [["role": "user", "content": "What is the capital of France?"]]]); target = "/v1/messages"
        case .gemini:
            body = JSONWriter.bytes(["systemInstruction": ["parts": [["text": "You are a concise assistant."]]], "contents": [["role": "user", "parts": [["text": "What is the capital of France?"]]]]])
            target = "/v1beta/models/gpt-4o-mini:generateContent"
        }
        let (response, _) = answer(dialect, target, body)
        let result = outcome(response, dialect)
        #expect(result.text == "The capital of France is Paris.")
        #expect(result.isSuccess)
        #expect(result.usage == Usage(inputTokens: 14, outputTokens: 7))
    }

    @Test("a continuation gets only the rest of the recorded answer, as a stream")
    func remainderStream() {
        let (response, _) = answer(.openAIChat, "/v1/chat/completions",
                                   RecordingMatcherTests.chat(RecordingMatcherTests.paris + [["role": "assistant", "content": "The capital of France"]]))
        #expect(outcome(response, .openAIChat).text == " is Paris.")
    }

    @Test("a recorded HTTP error is replayed with its status and body")
    func recordedError() {
        let (response, _) = answer(.openAIChat, "/v1/chat/completions",
                                   RecordingMatcherTests.chat([["role": "user", "content": "Summarize the incident report."]], stream: false))
        guard case .body(let body) = response else { Issue.record("expected a body"); return }
        #expect(body.status == 429)
        #expect(outcome(response, .openAIChat).error?.kind == .rateLimit)
    }

    @Test("a miss answers 404 in the provider's error shape with the explanation")
    func missAnswer() {
        let (response, _) = answer(.anthropicMessages, "/v1/messages",
                                   JSONWriter.bytes(["model": "nobody", "max_tokens": 5, "messages": [["role": "user", "content": "hi"]]]))
        guard case .body(let body) = response else { Issue.record("expected a body"); return }
        #expect(body.status == 404)
        #expect(String(decoding: body.bytes, as: UTF8.self).contains("no recording answers /v1/messages for model nobody"))
    }
}
