import Dialects
import Foundation
import SSE
import Testing

@testable import Routing

/// Two OpenAI groups, the primary falling back to the backup; no retry delays.
let openAIPair = """
    model_list:
      - model_name: primary
        litellm_params: {model: openai/gpt-4o, api_base: "http://up/primary/v1", api_key: sk-primary}
      - model_name: backup
        litellm_params: {model: openai/gpt-4o-mini, api_base: "http://up/backup/v1", api_key: sk-backup}
    router_settings:
      fallbacks: [{primary: [backup]}]
      retry_backoff: 0
      timeout: 20
      stream_idle_timeout: 15
      stream_first_token_timeout: 30
    """

/// A config with one more line under `router_settings:`.
func adding(_ setting: String, to yaml: String) -> String {
    yaml.replacingOccurrences(of: "  retry_backoff: 0\n", with: "  retry_backoff: 0\n  \(setting)\n")
}

let answer = "Hello there, this is the answer you asked for. It runs a little longer so that every provider streams it in several pieces."

func openAIUpstreams(primary: [UpstreamBehaviour], backup: [UpstreamBehaviour] = []) -> [String: ScriptedTransport.Upstream] {
    [
        "primary[0]": .init(model: FakeModel(name: "gpt-4o-2024-08-06", answer: answer), behaviours: primary),
        "backup[0]": .init(model: FakeModel(name: "gpt-4o-mini-2024-07-18", answer: answer), behaviours: backup),
    ]
}

@Suite("Router engine", .timeLimit(.minutes(1)))
struct RouterEngineTests {
    @Test("a healthy primary answers in both modes with the same text, model and usage", arguments: [Dialect.openAIChat, .openAIResponses])
    func healthy(_ dialect: Dialect) async throws {
        let pair = try await ModePair.run(dialect, yaml: openAIPair) { openAIUpstreams(primary: []) }
        #expect(pair.stream.status == 200 && pair.body.status == 200)
        #expect(pair.stream.header("content-type") == "text/event-stream")
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        #expect(pair.streamOutcome.model == "gpt-4o-2024-08-06" && pair.bodyOutcome.model == "gpt-4o-2024-08-06")
        #expect(pair.streamOutcome.usage != nil && pair.streamOutcome.usage == pair.bodyOutcome.usage)
        #expect(pair.streamOutcome.terminated && pair.bodyOutcome.terminated)
        #expect(pair.streamOutcome.error == nil && pair.bodyOutcome.error == nil)
        #expect(pair.stream.report.outcome.usage == pair.streamOutcome.usage)
        let streamAttempts = try #require(RouterHarness.advertisedAttempts(pair.stream))
        let bodyAttempts = try #require(RouterHarness.advertisedAttempts(pair.body))
        #expect(streamAttempts.map(\.deployment) == ["primary[0]"] && bodyAttempts.map(\.deployment) == ["primary[0]"])
        #expect(streamAttempts.map(\.next) == ["answered"])
        #expect(streamAttempts == pair.stream.report.attempts)
    }

    @Test("an HTTP 429 before any byte fails over transparently in both modes")
    func http429() async throws {
        let pair = try await ModePair.run(.openAIChat, yaml: openAIPair) {
            openAIUpstreams(primary: [.httpError(.rateLimit, retryAfter: 1)])
        }
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        #expect(pair.streamOutcome.model == "gpt-4o-mini-2024-07-18" && pair.bodyOutcome.model == "gpt-4o-mini-2024-07-18")
        #expect(pair.streamOutcome.usage == pair.bodyOutcome.usage)
        #expect(pair.stream.report.attempts.map(\.next) == ["fallback", "answered"])
        #expect(pair.stream.report.attempts.map(\.error?.kind) == [.rateLimit, nil])
        #expect(pair.stream.report.attempts.map(\.error?.kind) == pair.body.report.attempts.map(\.error?.kind))
    }
}

/// Three OpenAI groups for chains, with a per-key override.
let openAITrio = """
    model_list:
      - model_name: primary
        litellm_params: {model: openai/gpt-4o, api_base: "http://up/primary/v1"}
      - model_name: backup
        litellm_params: {model: openai/gpt-4o-mini, api_base: "http://up/backup/v1"}
        model_info: {supports_assistant_prefill: false}
      - model_name: third
        litellm_params: {model: openai/gpt-4.1, api_base: "http://up/third/v1"}
        model_info: {supports_assistant_prefill: true}
    router_settings:
      fallbacks: [{primary: [backup, third]}]
      retry_backoff: 0
      stream_idle_timeout: 15
    general_settings: {master_key: sk-master}
    keys:
      - key: sk-team
        router_settings:
          fallbacks: [{primary: [third]}]
    """

func trioUpstreams(
    primary: [UpstreamBehaviour] = [], backup: [UpstreamBehaviour] = [], third: [UpstreamBehaviour] = [],
    backupRejectsPrefill: Bool = false, thirdRejectsPrefill: Bool = false, backupAnswer: String = answer
) -> [String: ScriptedTransport.Upstream] {
    [
        "primary[0]": .init(model: FakeModel(name: "gpt-4o", answer: answer), behaviours: primary),
        "backup[0]": .init(model: FakeModel(name: "gpt-4o-mini", answer: backupAnswer), behaviours: backup, rejectsPrefill: backupRejectsPrefill),
        "third[0]": .init(model: FakeModel(name: "gpt-4.1", answer: answer), behaviours: third, rejectsPrefill: thirdRejectsPrefill),
    ]
}

extension RouterEngineTests {
    @Test("the Responses client stream numbers its events from 0 without gaps, across a failover")
    func responsesSequenceNumbers() async throws {
        let pair = try await ModePair.run(.openAIResponses, yaml: openAIPair) {
            openAIUpstreams(primary: [.inBandError(.overloaded, afterEvents: 6)])
        }
        let numbers = SSEParser.parse(pair.stream.body).compactMap { frame -> Int? in
            guard let data = frame.event?.data, let json = try? JSONValue.parse(data) else { return nil }
            return json["sequence_number"]?.intValue
        }
        #expect(numbers == Array(0..<numbers.count) && numbers.count > 10)
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
    }

    @Test("seed: a 429 event in the first frames of a stream fails over transparently with the original request")
    func inBand429BeforeContent() async throws {
        let pair = try await ModePair.run(.openAIChat, yaml: openAIPair) {
            openAIUpstreams(primary: [.inBandError(.rateLimit, afterEvents: 1)])
        }
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        #expect(pair.streamOutcome.model == pair.bodyOutcome.model)
        #expect(pair.streamOutcome.model == "gpt-4o-mini-2024-07-18")
        #expect(pair.streamOutcome.usage == pair.bodyOutcome.usage)
        // The fallback got the request exactly as the primary did, in both modes: no empty continuation.
        #expect(pair.streamRequests.count == 2 && pair.bodyRequests.count == 2)
        for requests in [pair.streamRequests, pair.bodyRequests] {
            #expect(FakeModel.view(of: requests[1]).turns == FakeModel.view(of: requests[0]).turns)
        }
        #expect(pair.stream.report.attempts[1].continuation == nil)
        // Only the fallback's role preamble reached the client.
        let roles = String(decoding: pair.stream.body, as: UTF8.self).components(separatedBy: "\"role\":\"assistant\"").count - 1
        #expect(roles == 1)
        #expect(pair.stream.report.attempts.map(\.error?.kind) == [.rateLimit, nil])
    }

    @Test("seed: a 429 event after content continues on the fallback without repeating text")
    func inBand429AfterContent() async throws {
        let pair = try await ModePair.run(.openAIChat, yaml: openAIPair) {
            openAIUpstreams(primary: [.inBandError(.rateLimit, afterEvents: 4)])
        }
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        #expect(pair.streamOutcome.model == pair.bodyOutcome.model)
        let continuation = try #require(pair.streamRequests.last)
        #expect(FakeModel.partialToContinue(FakeModel.view(of: continuation)) == "Hello there,")
        #expect(pair.stream.report.attempts.map(\.continuation) == [nil, .userMessage])
        #expect(pair.body.report.attempts.map(\.continuation) == [nil, nil])
    }

    static let wireFaults: [UpstreamBehaviour] = [
        .cut(afterEvents: 4), .reset(afterEvents: 4), .malformed(atEvent: 3), .stall(afterEvents: 4, seconds: 60),
        .dropTerminator, .resetBeforeHeaders, .inBandError(.overloaded, afterEvents: 4), .inBandError(.serverError, afterEvents: 1),
        .httpError(.serverError), .stall(afterEvents: 0, seconds: 60),
    ]

    @Test("cut, reset, malformed, stall, missing terminator and errors fail over with the same final answer in both modes", arguments: Self.wireFaults)
    func wireFaultsFailOver(_ fault: UpstreamBehaviour) async throws {
        for dialect in [Dialect.openAIChat, .openAIResponses] {
            let pair = try await ModePair.run(dialect, yaml: openAIPair) { openAIUpstreams(primary: [fault]) }
            #expect(pair.stream.status == 200 && pair.body.status == 200, "\(dialect)")
            #expect(pair.streamOutcome.text == answer, "\(dialect): no repeated or missing text")
            #expect(pair.bodyOutcome.text == answer, "\(dialect)")
            if fault != .dropTerminator {
                // Without its terminator only the stream fails, so only the stream moves to the backup.
                #expect(pair.streamOutcome.model == pair.bodyOutcome.model, "\(dialect)")
            }
            #expect(pair.streamOutcome.terminated && pair.streamOutcome.error == nil, "\(dialect)")
            let attempts = pair.stream.report.attempts
            #expect(attempts.first?.error != nil && attempts.last?.next == "answered", "\(dialect)")
            // Usage: every attempt's usage summed, and that is what the client was told.
            let summed = attempts.compactMap(\.usage).reduce(Usage(inputTokens: 0, outputTokens: 0), +)
            #expect(pair.stream.report.outcome.usage == summed && pair.streamOutcome.usage == summed, "\(dialect)")
        }
    }

    @Test("a stream that ends without its terminator is a failure, never a success")
    func missingTerminatorIsFailure() async throws {
        let harness = try RouterHarness(yaml: openAIPair, upstreams: openAIUpstreams(primary: [.dropTerminator], backup: [.dropTerminator]))
        let result = await harness.send(.openAIChat, model: "primary", stream: true)
        #expect(result.report.attempts.map(\.error?.message) == [
            "the stream ended without its terminator", "the stream ended without its terminator",
        ])
        let client = RouterHarness.clientOutcome(result, dialect: .openAIChat)
        #expect(!client.terminated && client.error?.kind == .connection)
        #expect(client.text == answer)
    }

    @Test("the idle timeout ends a stalled stream; the first-token timeout ends one that never starts")
    func timeouts() async throws {
        let yaml = openAIPair.replacingOccurrences(of: "stream_first_token_timeout: 30", with: "stream_first_token_timeout: 5")
        let stalled = try RouterHarness(yaml: yaml, upstreams: openAIUpstreams(primary: [.stall(afterEvents: 4, seconds: 60)]))
        let first = await stalled.send(.openAIChat, model: "primary", stream: true)
        #expect(first.report.attempts.first?.error?.message == "the stream stalled for longer than the idle timeout of 15.0 seconds")
        #expect(first.report.attempts.first?.endMicros == 60_000_000)

        let silent = try RouterHarness(yaml: yaml, upstreams: openAIUpstreams(primary: [.stall(afterEvents: 1, seconds: 60)]))
        let second = await silent.send(.openAIChat, model: "primary", stream: true)
        #expect(second.report.attempts.first?.error?.kind == .timeout)
        #expect(second.report.attempts.first?.error?.message == "no content within the first-token timeout of 5.0 seconds")
        #expect(RouterHarness.clientOutcome(second, dialect: .openAIChat).text == answer)
    }

    @Test("disable_fallbacks is honoured in both modes")
    func disableFallbacks() async throws {
        let pair = try await ModePair.run(.openAIChat, yaml: openAIPair, extra: ["disable_fallbacks": true]) {
            openAIUpstreams(primary: [.httpError(.rateLimit)])
        }
        #expect(pair.stream.status == 429 && pair.body.status == 429)
        #expect(pair.streamOutcome.error?.kind == .rateLimit && pair.bodyOutcome.error?.kind == .rateLimit)
        #expect(pair.streamRequests.count == 1 && pair.bodyRequests.count == 1)

        let midStream = try await ModePair.run(.openAIChat, yaml: openAIPair, extra: ["disable_fallbacks": true]) {
            openAIUpstreams(primary: [.inBandError(.overloaded, afterEvents: 4)])
        }
        #expect(midStream.streamRequests.count == 1 && midStream.bodyRequests.count == 1)
        #expect(midStream.streamOutcome.error?.kind == .overloaded && midStream.bodyOutcome.error?.kind == .overloaded)
        #expect(midStream.streamOutcome.text == "Hello there,")
        #expect(RouterHarness.advertisedAttempts(midStream.stream)?.map(\.next) == ["gave_up"])
    }

    @Test("cooldown: a failing deployment is skipped for cooldown_time, then probed again")
    func cooldownThenRecovery() async throws {
        let yaml = adding("allowed_fails: 0\n  cooldown_time: 30", to: openAIPair)
        let harness = try RouterHarness(yaml: yaml, upstreams: openAIUpstreams(primary: [.httpError(.serverError)]))
        let first = await harness.send(.openAIChat, model: "primary", stream: true)
        #expect(first.report.attempts.map(\.deployment) == ["primary[0]", "backup[0]"])
        #expect(await harness.router.cooldowns().isCoolingDown("primary[0]", at: harness.clock.now()))

        harness.clock.advance(by: .seconds(10))
        let second = await harness.send(.openAIChat, model: "primary", stream: false)
        #expect(second.report.attempts.map(\.deployment) == [nil, "backup[0]"])
        #expect(second.report.attempts.first?.error?.message.contains("cooling down") == true)
        #expect(RouterHarness.clientOutcome(second, dialect: .openAIChat).text == answer)

        harness.clock.advance(by: .seconds(21))
        let third = await harness.send(.openAIChat, model: "primary", stream: true)
        #expect(third.report.attempts.map(\.deployment) == ["primary[0]"])
        #expect(harness.transport.requests.map(\.deploymentID) == ["primary[0]", "backup[0]", "backup[0]", "primary[0]"])
    }

    @Test("seed: key-level fallbacks apply identically when streaming and when not")
    func keyLevelFallbacks() async throws {
        for key in ["sk-team", "sk-master"] {
            let pair = try await ModePair.run(.openAIChat, yaml: openAITrio, key: key) {
                trioUpstreams(primary: [.httpError(.rateLimit)])
            }
            let expected = key == "sk-master" ? "backup[0]" : "third[0]"
            #expect(pair.streamRequests.map(\.deploymentID) == ["primary[0]", expected])
            #expect(pair.bodyRequests.map(\.deploymentID) == ["primary[0]", expected])
            #expect(pair.streamOutcome.model == pair.bodyOutcome.model)
            #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        }
        // A key's fallbacks also govern a mid-stream failure (the bug LiteLLM had).
        let midStream = try await ModePair.run(.openAIChat, yaml: openAITrio, key: "sk-team") {
            trioUpstreams(primary: [.inBandError(.overloaded, afterEvents: 4)])
        }
        #expect(midStream.streamRequests.map(\.deploymentID) == ["primary[0]", "third[0]"])
        #expect(midStream.streamOutcome.text == answer)
    }

    @Test("seed: no assistant prefill goes to a fallback that rejects it; auto sends a user-message continuation")
    func noPrefillToRejectingFallback() async throws {
        let pair = try await ModePair.run(.openAIChat, yaml: openAITrio, key: "sk-master") {
            trioUpstreams(primary: [.inBandError(.overloaded, afterEvents: 4)], backupRejectsPrefill: true)
        }
        #expect(pair.streamRequests.map(\.deploymentID) == ["primary[0]", "backup[0]"])
        #expect(!FakeModel.view(of: pair.streamRequests[1]).endsWithAssistantPrefill)
        #expect(pair.stream.report.attempts.map(\.continuation) == [nil, .userMessage])
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        #expect(pair.streamOutcome.model == pair.bodyOutcome.model)
    }

    @Test("a continuation the fallback rejects is a failed attempt: the next fallback is tried")
    func rejectedContinuationTriesNext() async throws {
        let yaml = adding("continuation: prefill", to: openAITrio)
        let pair = try await ModePair.run(.openAIChat, yaml: yaml, key: "sk-master") {
            trioUpstreams(primary: [.inBandError(.overloaded, afterEvents: 4)], backupRejectsPrefill: true)
        }
        #expect(pair.streamRequests.map(\.deploymentID) == ["primary[0]", "backup[0]", "third[0]"])
        #expect(pair.stream.report.attempts.map(\.error?.kind) == [.overloaded, .prefillRejected, nil])
        #expect(pair.stream.report.attempts.map(\.continuation) == [nil, .prefill, .prefill])
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
    }

    @Test("when every fallback rejects the continuation, the client gets the original error, not the rejection")
    func rejectionNeverMasksOriginalError() async throws {
        let yaml = adding("continuation: prefill", to: openAITrio)
        let harness = try RouterHarness(
            yaml: yaml,
            upstreams: trioUpstreams(primary: [.inBandError(.overloaded, afterEvents: 4)], backupRejectsPrefill: true, thirdRejectsPrefill: true))
        let result = await harness.send(.openAIChat, model: "primary", stream: true, key: "sk-master")
        let client = RouterHarness.clientOutcome(result, dialect: .openAIChat)
        #expect(client.error?.kind == .overloaded)
        #expect(result.report.outcome.error?.kind == .overloaded)
        #expect(result.report.attempts.map(\.error?.kind) == [.overloaded, .prefillRejected, .prefillRejected])
        #expect(client.text == "Hello there,")
    }

    @Test("restart sends the original request and drops the already-sent prefix of the new answer")
    func restartSuppressesPrefix() async throws {
        let yaml = adding("mid_stream_fallback: restart", to: openAITrio)
        let pair = try await ModePair.run(.openAIChat, yaml: yaml, key: "sk-master") {
            trioUpstreams(primary: [.inBandError(.overloaded, afterEvents: 4)])
        }
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        #expect(pair.stream.report.attempts.map(\.continuation) == [nil, .restart])
        #expect(FakeModel.view(of: pair.streamRequests[1]).turns == FakeModel.view(of: pair.streamRequests[0]).turns)
        #expect(pair.stream.report.attempts.map(\.bytesForwarded) == [12, answer.utf8.count - 12])
    }

    @Test("a restart whose answer diverges from the sent text is abandoned for the next fallback")
    func restartDivergence() async throws {
        let yaml = adding("mid_stream_fallback: restart", to: openAITrio)
        let harness = try RouterHarness(
            yaml: yaml,
            upstreams: trioUpstreams(primary: [.inBandError(.overloaded, afterEvents: 4)], backupAnswer: "Something else entirely."))
        let result = await harness.send(.openAIChat, model: "primary", stream: true, key: "sk-master")
        #expect(result.report.attempts.map(\.deployment) == ["primary[0]", "backup[0]", "third[0]"])
        #expect(result.report.attempts[1].error?.message == "the restarted answer does not begin with the text the client already has")
        #expect(RouterHarness.clientOutcome(result, dialect: .openAIChat).text == answer)
    }

    @Test("retry-after is honoured on the router's clock before retrying the same group")
    func retryAfterHonoured() async throws {
        let yaml = adding("num_retries: 1", to: openAIPair)
        let harness = try RouterHarness(yaml: yaml, upstreams: openAIUpstreams(primary: [.httpError(.rateLimit, retryAfter: 2)]))
        async let routed = harness.send(.openAIChat, model: "primary", stream: true)
        await harness.clock.waitForSleeper(until: .seconds(2))
        harness.clock.advance(to: .seconds(2))
        let result = await routed
        #expect(result.report.attempts.map(\.deployment) == ["primary[0]", "primary[0]"])
        #expect(result.report.attempts.map(\.startMicros) == [0, 2_000_000])
        #expect(result.report.attempts.map(\.next) == ["retry", "answered"])
    }

    @Test("tool calls stream through and match the non-stream answer")
    func toolCalls() async throws {
        let call = ToolCall(id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\",\"unit\":\"celsius\"}")
        for dialect in [Dialect.openAIChat, .openAIResponses] {
            let pair = try await ModePair.run(dialect, yaml: openAIPair) {
                ["primary[0]": .init(model: FakeModel(name: "gpt-4o", answer: "", toolCalls: [call]))]
            }
            #expect(pair.streamOutcome.toolCalls == [call], "\(dialect)")
            #expect(pair.bodyOutcome.toolCalls == [call], "\(dialect)")
            #expect(pair.streamOutcome.finishReason == .toolCalls && pair.bodyOutcome.finishReason == .toolCalls, "\(dialect)")
        }
    }

    @Test("a failure after tool-call content was sent cannot be continued and ends the stream with the error")
    func toolCallThenFailure() async throws {
        let call = ToolCall(id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\",\"unit\":\"celsius\"}")
        let harness = try RouterHarness(yaml: openAIPair, upstreams: [
            "primary[0]": .init(model: FakeModel(name: "gpt-4o", answer: "", toolCalls: [call]), behaviours: [.cut(afterEvents: 3)]),
        ])
        let result = await harness.send(.openAIChat, model: "primary", stream: true)
        #expect(result.report.attempts.map(\.next) == ["gave_up"])
        #expect(RouterHarness.clientOutcome(result, dialect: .openAIChat).error?.kind == .connection)
    }

    @Test("requests the router cannot take are refused in the client's dialect")
    func refusals() async throws {
        let guarded = openAIPair.replacingOccurrences(of: "router_settings:", with: "general_settings: {master_key: sk-m}\nrouter_settings:")
        let harness = try RouterHarness(yaml: guarded, upstreams: openAIUpstreams(primary: []))
        let unauthorized = await harness.send(.anthropicMessages, model: "primary", stream: true, key: "sk-wrong")
        #expect(unauthorized.status == 401)
        let unknown = await harness.send(.openAIChat, model: "nope", stream: true, key: "sk-m")
        #expect(unknown.status == 400)
        #expect(RouterHarness.clientOutcome(unknown, dialect: .openAIChat).error?.message.contains("\"nope\"") == true)
        let badField = await harness.send(.openAIChat, model: "primary", stream: false, key: "sk-m", extra: ["num_retries": "x"])
        #expect(badField.status == 400)
        #expect(harness.transport.requests.isEmpty)
    }

    @Test("x-tapedeck-* request headers are forwarded to every attempt; routing fields never go upstream")
    func forwarding() async throws {
        let harness = try RouterHarness(yaml: openAIPair, upstreams: openAIUpstreams(primary: [.httpError(.serverError)]))
        _ = await harness.send(
            .openAIChat, model: "primary", stream: false, extra: ["fallbacks": ["backup"], "num_retries": 0],
            headers: [HTTPField("x-tapedeck-fault", "cut(after:3)"), HTTPField("authorization", "Bearer client")])
        #expect(harness.transport.requests.count == 2)
        for request in harness.transport.requests {
            #expect(request.headers.contains(HTTPField("x-tapedeck-fault", "cut(after:3)")))
            #expect(!request.headers.contains(HTTPField("authorization", "Bearer client")))
            let body = try JSONValue.parse(request.body)
            #expect(body["fallbacks"] == nil && body["num_retries"] == nil)
        }
        #expect(harness.transport.requests[0].headers.contains(HTTPField("authorization", "Bearer sk-primary")))
    }

    @Test("when the client goes away mid-stream the router stops and reports it")
    func clientGone() async throws {
        let harness = try RouterHarness(yaml: openAIPair, upstreams: openAIUpstreams(primary: []))
        let writes = WriteCounter()
        let report = await harness.router.route(
            ClientRequest(dialect: .openAIChat, body: RouterHarness.body(dialect: .openAIChat, model: "primary", stream: true))
        ) { part in
            if case .body = part, writes.increment() > 2 { throw ClientGoneError() }
        }
        #expect(report.clientGone)
        #expect(report.attempts.map(\.next) == ["client_gone"])
        #expect(harness.transport.requests.count == 1)
    }
}

private final class WriteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int { lock.withLock { count += 1; return count } }
}
