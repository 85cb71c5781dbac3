import Dialects
import Foundation
import SSE
import Testing

@testable import Routing

/// One group per provider, each falling back to the other two; Claude Sonnet 4.6 rejects prefill.
let mixedProviders = """
    model_list:
      - model_name: claude
        litellm_params: {model: anthropic/claude-sonnet-4-6, api_base: "http://up/anthropic", api_key: sk-ant}
        model_info: {supports_assistant_prefill: false}
      - model_name: gpt
        litellm_params: {model: openai/gpt-4o, api_base: "http://up/openai/v1", api_key: sk-oai}
      - model_name: gemini
        litellm_params: {model: gemini/gemini-2.5-flash, api_base: "http://up/gemini", api_key: g-key}
      - model_name: claude-legacy
        litellm_params: {model: anthropic/claude-3-7-sonnet, api_base: "http://up/anthropic-legacy"}
        model_info: {supports_assistant_prefill: true}
    router_settings:
      fallbacks: [{claude: [gpt, gemini]}, {gpt: [claude, gemini]}, {gemini: [claude, gpt]}]
      retry_backoff: 0
      timeout: 20
      stream_idle_timeout: 15
    """

let clientDialects: [Dialect] = [.openAIChat, .openAIResponses, .anthropicMessages]
let groups = ["claude", "gpt", "gemini"]

func mixedUpstreams(
    claude: [UpstreamBehaviour] = [], gpt: [UpstreamBehaviour] = [], gemini: [UpstreamBehaviour] = [],
    toolCalls: [ToolCall] = [], text: String = answer
) -> [String: ScriptedTransport.Upstream] {
    [
        "claude[0]": .init(model: FakeModel(name: "claude-sonnet-4-6", answer: text, toolCalls: toolCalls), behaviours: claude, rejectsPrefill: true),
        "gpt[0]": .init(model: FakeModel(name: "gpt-4o-2024-08-06", answer: text, toolCalls: toolCalls), behaviours: gpt),
        "gemini[0]": .init(model: FakeModel(name: "gemini-2.5-flash", answer: text, toolCalls: toolCalls), behaviours: gemini),
        "claude-legacy[0]": .init(model: FakeModel(name: "claude-3-7-sonnet", answer: text, toolCalls: toolCalls)),
    ]
}

/// What every mode pair must satisfy whatever happened upstream.
func expectInvariants(_ pair: ModePair, _ context: String, dialect: Dialect) {
    for (result, client) in [(pair.stream, pair.streamOutcome), (pair.body, pair.bodyOutcome)] {
        // The client saw what the router says it sent, and the combined usage of every attempt.
        let summed = result.report.attempts.compactMap(\.usage).reduce(into: Usage?.none) { total, usage in
            total = total.map { $0 + usage } ?? usage
        }
        #expect(result.report.outcome.usage == summed, "\(context): reported usage is every attempt's")
        if client.error == nil {
            #expect(client.usage == summed, "\(context): the client was told the combined usage")
            #expect(client.text == result.report.outcome.text, "\(context)")
            #expect(client.model == expectedClientModel(result, dialect: dialect), "\(context)")
        }
        #expect(RouterHarness.advertisedAttempts(result) == result.report.attempts, "\(context): attempts advertised")
    }
}

@Suite("Router across providers", .timeLimit(.minutes(1)))
struct RouterCrossProviderTests {
    @Test("every client dialect reaches every provider with the same answer in both modes")
    func translationMatrix() async throws {
        for dialect in clientDialects {
            for group in groups {
                let pair = try await ModePair.run(dialect, model: group, yaml: mixedProviders) { mixedUpstreams() }
                let context = "\(dialect.rawValue) → \(group)"
                #expect(pair.stream.status == 200 && pair.body.status == 200, "\(context)")
                #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer, "\(context)")
                #expect(pair.streamOutcome.model == pair.bodyOutcome.model, "\(context)")
                #expect(pair.streamOutcome.usage == pair.bodyOutcome.usage, "\(context)")
                #expect(pair.streamOutcome.finishReason == .stop && pair.bodyOutcome.finishReason == .stop, "\(context)")
                #expect(pair.streamOutcome.terminated && pair.bodyOutcome.terminated, "\(context)")
                expectInvariants(pair, context, dialect: dialect)
            }
        }
    }

    @Test("tool calls translate both ways for every client dialect and provider")
    func toolCallMatrix() async throws {
        let call = ToolCall(id: "call_7", name: "lookup", arguments: "{\"q\":\"weather in Paris\"}")
        for dialect in clientDialects {
            for group in groups {
                let pair = try await ModePair.run(dialect, model: group, yaml: mixedProviders) {
                    mixedUpstreams(toolCalls: [call], text: "")
                }
                let context = "\(dialect.rawValue) → \(group)"
                for outcome in [pair.streamOutcome, pair.bodyOutcome] {
                    #expect(outcome.toolCalls.map(\.name) == ["lookup"], "\(context)")
                    let arguments = try JSONValue.parse(outcome.toolCalls.first?.arguments ?? "")
                    #expect(arguments == ["q": "weather in Paris"], "\(context)")
                    #expect(outcome.finishReason == .toolCalls, "\(context)")
                }
            }
        }
    }

    @Test("a request with tools and a tool result reaches each provider in its own shape")
    func toolRequestTranslation() async throws {
        let extra: [String: JSONValue] = [
            "messages": [
                ["role": "system", "content": "Be brief."],
                ["role": "user", "content": "Weather in Paris?"],
                ["role": "assistant", "content": .null, "tool_calls": [[
                    "id": "call_1", "type": "function", "function": ["name": "weather", "arguments": "{\"city\":\"Paris\"}"],
                ]]],
                ["role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"],
            ],
            "tools": [["type": "function", "function": ["name": "weather", "parameters": ["type": "object"]]]],
            "max_tokens": 100,
        ]
        for group in groups {
            let harness = try RouterHarness(yaml: mixedProviders, upstreams: mixedUpstreams())
            _ = await harness.send(.openAIChat, model: group, stream: true, extra: extra)
            let request = try #require(harness.transport.requests.first)
            let body = try JSONValue.parse(request.body)
            switch group {
            case "claude":
                #expect(request.url == "http://up/anthropic/v1/messages")
                #expect(request.headers.contains(HTTPField("x-api-key", "sk-ant")))
                #expect(body["system"] == "Be brief." && body["max_tokens"] == 100)
                #expect(body["messages"]?[1]?["content"]?[0]?["type"] == "tool_use")
                #expect(body["messages"]?[1]?["content"]?[0]?["input"] == ["city": "Paris"])
                #expect(body["messages"]?[2]?["content"]?[0]?["type"] == "tool_result")
                #expect(body["tools"]?[0]?["name"] == "weather")
            case "gemini":
                #expect(request.url == "http://up/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
                #expect(request.headers.contains(HTTPField("x-goog-api-key", "g-key")))
                #expect(body["systemInstruction"]?["parts"]?[0]?["text"] == "Be brief.")
                #expect(body["contents"]?[1]?["parts"]?[0]?["functionCall"]?["name"] == "weather")
                #expect(body["contents"]?[2]?["parts"]?[0]?["functionResponse"]?["name"] == "weather")
                #expect(body["tools"]?[0]?["functionDeclarations"]?[0]?["name"] == "weather")
                #expect(body["generationConfig"]?["maxOutputTokens"] == 100)
            default:
                #expect(request.url == "http://up/openai/v1/chat/completions")
                #expect(body["messages"]?[2]?["tool_calls"]?[0]?["id"] == "call_1")
                #expect(body["stream_options"]?["include_usage"] == true)
            }
        }
    }

    @Test("seed: a Responses API stream that fails mid-way falls back and continues, like a non-stream request")
    func responsesMidStreamFallback() async throws {
        let midText = eventsThroughTextPiece(2, provider: .anthropicMessages)
        for fault in [UpstreamBehaviour.inBandError(.overloaded, afterEvents: midText), .cut(afterEvents: midText), .reset(afterEvents: midText)] {
            let pair = try await ModePair.run(.openAIResponses, model: "claude", yaml: mixedProviders) {
                mixedUpstreams(claude: [fault])
            }
            let context = "\(fault)"
            #expect(pair.stream.status == 200 && pair.body.status == 200, "\(context)")
            #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer, "\(context)")
            #expect(pair.streamOutcome.model == "gpt-4o-2024-08-06" && pair.bodyOutcome.model == "gpt-4o-2024-08-06", "\(context)")
            #expect(pair.streamRequests.map(\.deploymentID) == ["claude[0]", "gpt[0]"], "\(context)")
            #expect(pair.bodyRequests.map(\.deploymentID) == ["claude[0]", "gpt[0]"], "\(context)")
            // The OpenAI deployment is spoken to in the client's own Responses dialect.
            #expect(pair.streamRequests[1].url == "http://up/openai/v1/responses", "\(context)")
            #expect(pair.stream.report.attempts[1].continuation == .userMessage, "\(context)")
            #expect(pair.stream.report.attempts[0].bytesForwarded > 0, "\(context): the fault struck after content")
            expectInvariants(pair, context, dialect: .openAIResponses)
        }
    }

    @Test("seed: a Responses API stream whose primary times out before the first chunk fails over transparently")
    func responsesPreFirstChunkTimeout() async throws {
        let pair = try await ModePair.run(.openAIResponses, model: "claude", yaml: mixedProviders) {
            mixedUpstreams(claude: [.stall(afterEvents: 0, seconds: 60)])
        }
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        #expect(pair.streamOutcome.model == pair.bodyOutcome.model)
        #expect(pair.streamOutcome.usage == pair.bodyOutcome.usage)
        #expect(pair.stream.report.attempts.map(\.error?.kind) == [.timeout, nil])
        #expect(pair.body.report.attempts.map(\.error?.kind) == [.timeout, nil])
        #expect(pair.stream.report.attempts[1].continuation == nil)
        expectInvariants(pair, "stall", dialect: .openAIResponses)
    }

    @Test("seed: no prefill is sent to the Claude fallback that rejects it, from any client dialect")
    func noPrefillToClaude() async throws {
        for dialect in clientDialects {
            let midText = eventsThroughTextPiece(2, provider: UpstreamRequestBuilder.dialect(for: .openai, client: dialect))
            let pair = try await ModePair.run(dialect, model: "gpt", yaml: mixedProviders) {
                mixedUpstreams(gpt: [.inBandError(.overloaded, afterEvents: midText)])
            }
            let context = dialect.rawValue
            #expect(pair.streamRequests.map(\.deploymentID) == ["gpt[0]", "claude[0]"], "\(context)")
            let continuation = FakeModel.view(of: pair.streamRequests[1])
            #expect(!continuation.endsWithAssistantPrefill, "\(context)")
            #expect(continuation.turns.last?.text == continuationInstruction, "\(context)")
            #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer, "\(context)")
            #expect(pair.stream.report.outcome.model == "claude-sonnet-4-6" && pair.bodyOutcome.model == "claude-sonnet-4-6", "\(context)")
            expectInvariants(pair, context, dialect: dialect)
        }
    }

    @Test("forced prefill to Claude is rejected, the next fallback continues, and the rejection is never reported")
    func forcedPrefillRejected() async throws {
        let yaml = mixedProviders.replacingOccurrences(of: "  retry_backoff: 0\n", with: "  retry_backoff: 0\n  continuation: prefill\n")
        let midText = eventsThroughTextPiece(3, provider: .openAIChat)
        let pair = try await ModePair.run(.anthropicMessages, model: "gpt", yaml: yaml) {
            mixedUpstreams(gpt: [.inBandError(.overloaded, afterEvents: midText)])
        }
        #expect(pair.streamRequests.map(\.deploymentID) == ["gpt[0]", "claude[0]", "gemini[0]"])
        #expect(pair.stream.report.attempts.map(\.error?.kind) == [.overloaded, .prefillRejected, nil])
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        // The body never needed a continuation: Claude took the original request.
        #expect(pair.bodyRequests.map(\.deploymentID) == ["gpt[0]", "claude[0]"])
        expectInvariants(pair, "forced prefill", dialect: .anthropicMessages)

        // Claude rejects, and neither it nor the primary has another fallback left.
        let noThird = try RouterHarness(
            yaml: yaml.replacingOccurrences(
                of: "[{claude: [gpt, gemini]}, {gpt: [claude, gemini]}, {gemini: [claude, gpt]}]", with: "[{gpt: [claude]}]"),
            upstreams: mixedUpstreams(gpt: [.inBandError(.overloaded, afterEvents: midText)]))
        let result = await noThird.send(.anthropicMessages, model: "gpt", stream: true)
        let client = RouterHarness.clientOutcome(result, dialect: .anthropicMessages)
        #expect(client.error?.kind == .overloaded)
        #expect(client.text == "Hello there,")
    }

    @Test("a prefill-capable Claude deployment gets a prefill continuation under auto")
    func prefillWhereSupported() async throws {
        let yaml = mixedProviders.replacingOccurrences(of: "{gpt: [claude, gemini]}", with: "{gpt: [claude-legacy]}")
        let harness = try RouterHarness(
            yaml: yaml, upstreams: mixedUpstreams(gpt: [.inBandError(.overloaded, afterEvents: eventsThroughTextPiece(3, provider: .openAIChat))]))
        let result = await harness.send(.openAIChat, model: "gpt", stream: true)
        #expect(result.report.attempts.map(\.continuation) == [nil, .prefill])
        let view = FakeModel.view(of: harness.transport.requests[1])
        #expect(view.endsWithAssistantPrefill && view.prefillText == "Hello there,")
        #expect(RouterHarness.clientOutcome(result, dialect: .openAIChat).text == answer)
    }

    @Test("seed: 429 in-band in a Gemini stream (a deferred provider) fails over before content with the original request")
    func gemini429BeforeContent() async throws {
        for dialect in clientDialects {
            let pair = try await ModePair.run(dialect, model: "gemini", yaml: mixedProviders) {
                mixedUpstreams(gemini: [.inBandError(.rateLimit, afterEvents: 0)])
            }
            let context = dialect.rawValue
            #expect(pair.stream.report.attempts.map(\.error?.kind) == [.rateLimit, nil], "\(context)")
            #expect(pair.stream.report.attempts[1].continuation == nil, "\(context)")
            #expect(!FakeModel.view(of: pair.streamRequests[1]).endsWithAssistantPrefill, "\(context)")
            #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer, "\(context)")
            #expect(pair.streamOutcome.model == pair.bodyOutcome.model, "\(context)")
            #expect(pair.streamOutcome.usage == pair.bodyOutcome.usage, "\(context)")
            expectInvariants(pair, context, dialect: dialect)
        }
    }

    @Test("mid-stream failures of every provider continue on another provider for every client dialect")
    func midStreamMatrix() async throws {
        for dialect in clientDialects {
            for group in groups {
                let provider = UpstreamRequestBuilder.dialect(for: group == "claude" ? .anthropic : group == "gpt" ? .openai : .gemini, client: dialect)
                let midText = eventsThroughTextPiece(2, provider: provider)
                let faults: [UpstreamBehaviour] = [
                    .inBandError(.overloaded, afterEvents: midText), .cut(afterEvents: midText), .stall(afterEvents: midText, seconds: 60),
                    .reset(afterEvents: midText), .malformed(atEvent: midText),
                ]
                for fault in faults {
                    let pair = try await ModePair.run(dialect, model: group, yaml: mixedProviders) {
                        switch group {
                        case "claude": return mixedUpstreams(claude: [fault])
                        case "gpt": return mixedUpstreams(gpt: [fault])
                        default: return mixedUpstreams(gemini: [fault])
                        }
                    }
                    let context = "\(dialect.rawValue) → \(group), \(fault)"
                    #expect(pair.streamOutcome.text == answer, "\(context)")
                    #expect(pair.bodyOutcome.text == answer, "\(context)")
                    #expect(pair.stream.report.outcome.model == pair.bodyOutcome.model, "\(context)")
                    #expect(pair.stream.report.attempts.first?.bytesForwarded ?? 0 > 0, "\(context): the fault struck after content")
                    #expect(pair.streamOutcome.error == nil && pair.bodyOutcome.error == nil, "\(context)")
                    expectInvariants(pair, context, dialect: dialect)
                }
            }
        }
    }

    @Test("a failed stream's partial usage is counted: Anthropic reports input tokens before its first text")
    func partialUsageCounted() async throws {
        let pair = try await ModePair.run(.openAIChat, model: "claude", yaml: mixedProviders) {
            mixedUpstreams(claude: [.inBandError(.overloaded, afterEvents: 1)])
        }
        let partial = try #require(pair.stream.report.attempts.first?.usage)
        #expect(partial.inputTokens > 0 && pair.stream.report.attempts.first?.bytesForwarded == 0)
        // Nothing reached the client, so the fallback answered the original request in both modes;
        // the stream additionally paid for the failed attempt's prompt.
        #expect(pair.streamOutcome.text == answer && pair.bodyOutcome.text == answer)
        #expect(pair.streamOutcome.model == pair.bodyOutcome.model)
        let body = try #require(pair.bodyOutcome.usage)
        #expect(pair.streamOutcome.usage == body + partial)
        expectInvariants(pair, "partial usage", dialect: .openAIChat)
    }

    @Test("retries rotate through a group's deployments and honour the deployment's num_retries")
    func retriesRotateDeployments() async throws {
        let loaded = try RouterConfigLoader.load(
            contentsOf: Fixtures.url("routers/load-balanced.yaml"), environment: ["TAPEDECK_MASTER_KEY": "sk-master"])
        let clock = ManualRouterClock()
        let transport = ScriptedTransport(clock: clock, upstreams: [
            "sonnet-primary": .init(model: FakeModel(name: "claude-sonnet-4-6", answer: answer), behaviours: [.httpError(.overloaded)]),
            "sonnet-secondary": .init(model: FakeModel(name: "claude-sonnet-4-5", answer: answer)),
        ])
        // retry_backoff is the default 0.5 s here: the test moves the clock past the delay.
        let router = Router(config: loaded.config, transport: transport, clock: clock)
        async let routed = router.route(ClientRequest(
            dialect: .anthropicMessages, body: RouterHarness.body(dialect: .anthropicMessages, model: "claude-sonnet", stream: true),
            apiKey: "sk-master"))
        await clock.waitForSleeper(until: .milliseconds(500))
        clock.advance(to: .milliseconds(500))
        let result = await routed
        #expect(result.report.attempts.map(\.deployment) == ["sonnet-primary", "sonnet-secondary"])
        #expect(result.report.attempts.map(\.next) == ["retry", "answered"])
        #expect(RouterHarness.clientOutcome(result, dialect: .anthropicMessages).model == "claude-sonnet-4-5")
        // allowed_fails is 1 in this file: one failure is tolerated.
        #expect(await !router.cooldowns().isCoolingDown("sonnet-primary", at: clock.now()))
    }

    @Test("cancelling the routing task (the client disconnected) stops routing without failing over")
    func cancellationStops() async throws {
        let harness = try RouterHarness(yaml: mixedProviders, upstreams: mixedUpstreams(gpt: [.stall(afterEvents: 5, seconds: 0)]))
        let started = Latch()
        let task = Task {
            await harness.router.route(ClientRequest(
                dialect: .openAIChat, body: RouterHarness.body(dialect: .openAIChat, model: "gpt", stream: true))
            ) { part in
                if case .body = part { started.open() }
            }
        }
        await started.wait()
        task.cancel()
        let report = await task.value
        #expect(report.clientGone)
        #expect(report.attempts.map(\.next) == ["client_gone"])
        #expect(harness.transport.requests.count == 1)
    }
}

/// Opens once; waiters resume when it does.
final class Latch: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        let waiting: [CheckedContinuation<Void, Never>] = lock.withLock {
            guard !isOpen else { return [] }
            isOpen = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiting { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let already: Bool = lock.withLock {
                if isOpen { return true }
                waiters.append(continuation)
                return false
            }
            if already { continuation.resume() }
        }
    }
}
