import Dialects
import Faults
import Foundation
import Replay
import Routing
import Testing

/// `tapedeck route` in front of `tapedeck serve` over loopback: every scenario runs once streaming
/// and once not, under the same upstream failure, and both modes must come out the same.
@Suite("Gateway over the replay server, both modes", .timeLimit(.minutes(1)))
struct GatewayReplayEndToEndTests {
    // MARK: The seed scenarios

    @Test("seed: the Responses API fails over mid-stream like chat completions, to Claude without a prefill")
    func responsesMidStream() async throws {
        try await ReplayGateway.run { gateway in
            let pair = try await gateway.bothModes(path: "/v1/responses", DemoRequests.responses, fault: "gpt-4o=cut:after=8")
            expectSameResult(pair, "responses, cut after 8")
            #expect(pair.stream.answer.status == 200)
            #expect(pair.stream.answeredBy == "claude-sonnet-4-6")
            #expect(pair.stream.continued, "the cut struck after text reached the stream client")
            for run in [pair.stream, pair.body] {
                #expect(!run.upstream.contains { $0.model == "claude-sonnet-4-6" && $0.continuation?.style == .prefill })
            }
        }
    }

    @Test("seed: a key's own fallback order applies when streaming as when not")
    func keyLevelFallbacks() async throws {
        try await ReplayGateway.run { gateway in
            let pair = try await gateway.bothModes(DemoRequests.chat(DemoRequests.capital), key: "sk-team-gemini-first", fault: "gpt-4o=http_error:status=429")
            expectSameResult(pair, "team key, 429")
            #expect(pair.stream.answeredBy == "gemini-2.5-flash")
            #expect(pair.stream.upstream.map(\.model) == ["gpt-4o", "gpt-4o", "gemini-2.5-flash"])
            #expect(pair.body.upstream.map(\.model) == ["gpt-4o", "gpt-4o", "gemini-2.5-flash"])
        }
    }

    @Test("seed: an in-band 429 after content fails over like an HTTP 429, never with an empty continuation")
    func rateLimitMidStream() async throws {
        try await ReplayGateway.run { gateway in
            let pair = try await gateway.bothModes(DemoRequests.chat(DemoRequests.tips), fault: "gpt-4o=error_event:kind=rate_limit,after=4")
            expectSameResult(pair, "rate limit event after 4")
            #expect(pair.stream.answer.status == 200 && pair.stream.answeredBy == "claude-sonnet-4-6")
            #expect(pair.stream.attempts.first?.error?.kind == .rateLimit && pair.body.attempts.first?.error?.kind == .rateLimit)
            #expect(pair.stream.continued)
            for run in [pair.stream, pair.body] {
                #expect(run.upstream.allSatisfy { $0.continuation.map { !$0.text.isEmpty } ?? true }, "no empty continuation")
            }
        }
    }

    @Test("seed: a 429 event before any content fails over with the original request in both modes")
    func rateLimitBeforeContent() async throws {
        try await ReplayGateway.run { gateway in
            let pair = try await gateway.bothModes(DemoRequests.chat(DemoRequests.tips), fault: "gpt-4o=error_event:kind=rate_limit,after=0")
            expectSameResult(pair, "rate limit event before content")
            #expect(!pair.stream.continued)
            #expect(pair.stream.answeredBy == "claude-sonnet-4-6")
            for run in [pair.stream, pair.body] {
                #expect(run.upstream.allSatisfy { $0.continuation == nil }, "every attempt is the original request")
            }
        }
    }

    @Test("seed: no assistant prefill goes to a prefill-rejecting Claude after a mid-stream cut, in either mode")
    func noPrefillToClaude() async throws {
        try await ReplayGateway.run { gateway in
            for (path, body, fault) in [
                ("/v1/chat/completions", DemoRequests.chat(DemoRequests.tips), "gpt-4o=cut:after=5"),
                ("/v1/messages", DemoRequests.messages, "gpt-4o=reset:after=4"),
            ] {
                let pair = try await gateway.bothModes(path: path, body, fault: fault)
                expectSameResult(pair, "\(path), \(fault)")
                #expect(pair.stream.answer.status == 200 && pair.stream.answeredBy == "claude-sonnet-4-6", "\(path)")
                for run in [pair.stream, pair.body] {
                    let claude = run.upstream.filter { $0.model == "claude-sonnet-4-6" }
                    #expect(claude.count == 1 && claude.allSatisfy { $0.continuation?.style != .prefill && $0.status == 200 }, "\(path)")
                    #expect(!run.attempts.contains { $0.error?.kind == .prefillRejected }, "\(path)")
                }
            }
        }
    }

    // MARK: Wire faults on the first attempt, a healthy retry

    @Test(
        "a wire fault on the first attempt is retried on the same deployment, continuing where the stream stopped",
        arguments: ["cut:after=3", "reset:after=3", "malformed:at=3", "stall:after=3,seconds=5"])
    func faultThenRetry(spec: String) async throws {
        let book = FaultBook(rules: ["gpt-4o": .perAttempt([try FaultCatalogue.parse(spec), NoFault()])], capabilities: ReplayGateway.capabilities)
        try await ReplayGateway.run(faults: book) { gateway in
            let pair = try await gateway.bothModes(DemoRequests.chat(DemoRequests.capital))
            expectSameResult(pair, spec)
            #expect(pair.stream.attempts.map(\.next) == ["retry", "answered"], "\(spec)")
            #expect(pair.stream.answeredBy == "gpt-4o-2024-08-06", "\(spec)")
            // The retry continued the stream from what the client had, and nothing was repeated:
            // partial answer + remainder is exactly the non-stream answer.
            #expect(pair.stream.continued, "\(spec)")
            #expect(pair.stream.outcome.text == pair.body.outcome.text, "\(spec)")
            if spec.hasPrefix("stall") {
                #expect(pair.stream.attempts.first?.error?.kind == .timeout && pair.body.attempts.first?.error?.kind == .timeout)
            }
        }
    }

    @Test("a stream without its terminator is a failure and is retried; the non-stream twin has nothing to miss")
    func missingTerminator() async throws {
        let book = FaultBook(rules: ["gpt-4o": .perAttempt([try FaultCatalogue.parse("drop_terminator"), NoFault()])], capabilities: ReplayGateway.capabilities)
        try await ReplayGateway.run(faults: book) { gateway in
            let pair = try await gateway.bothModes(DemoRequests.chat(DemoRequests.capital))
            #expect(pair.stream.attempts.map(\.next) == ["retry", "answered"])
            #expect(pair.stream.attempts.first?.error?.message == "the stream ended without its terminator")
            #expect(pair.body.attempts.map(\.next) == ["answered"])
            #expect(pair.stream.outcome.text == pair.body.outcome.text && pair.stream.answeredBy == pair.body.answeredBy)
            #expect(pair.stream.outcome.terminated)
        }
    }

    // MARK: Settings

    @Test("disable_fallbacks keeps the retry and skips every fallback in both modes")
    func disableFallbacks() async throws {
        try await ReplayGateway.run { gateway in
            let pair = try await gateway.bothModes(
                DemoRequests.chat(DemoRequests.capital, extra: ["disable_fallbacks": true]), fault: "gpt-4o=http_error:status=503")
            expectSameResult(pair, "disable_fallbacks")
            #expect(pair.stream.answer.status == 503 && !pair.stream.answer.isStream)
            #expect(pair.stream.attempts.map(\.next) == ["retry", "gave_up"])
            #expect(pair.stream.upstream.allSatisfy { $0.model == "gpt-4o" } && pair.body.upstream.allSatisfy { $0.model == "gpt-4o" })
        }
    }

    @Test("cooldown: a deployment that failed is skipped for cooldown_time, then probed again and answers, in both modes")
    func cooldownThenRecovery() async throws {
        var sequences: [[[String?]]] = []
        for stream in [true, false] {
            let clock = ManualRouterClock()
            let recorded = SequenceLog()
            try await ReplayGateway.run(
                editConfig: {
                    $0.replacingOccurrences(of: "allowed_fails: 100", with: "allowed_fails: 0")
                        .replacingOccurrences(of: "cooldown_time: 1", with: "cooldown_time: 30")
                        .replacingOccurrences(of: "retry_backoff: 0.01", with: "retry_backoff: 0")
                }, clock: clock
            ) { gateway in
                let body = DemoRequests.chat(DemoRequests.capital)
                let failing = try await gateway.client.send(
                    path: "/v1/chat/completions", body: body, stream: stream, key: ReplayGateway.masterKey,
                    headers: [("x-tapedeck-fault", "gpt-4o=http_error:status=503")])
                let cooling = try await gateway.client.send(path: "/v1/chat/completions", body: body, stream: stream, key: ReplayGateway.masterKey)
                clock.advance(by: .seconds(31))
                let recovered = try await gateway.client.send(path: "/v1/chat/completions", body: body, stream: stream, key: ReplayGateway.masterKey)
                for answer in [failing, cooling, recovered] {
                    #expect(answer.status == 200)
                    let attempts = try answer.isStream
                        ? RouteAttempt.fromStream(answer.body) ?? []
                        : answer.header(RouteAttempt.headerName).map { try RouteAttempt.decode(json: $0) } ?? []
                    recorded.append(attempts.map(\.deployment))
                }
                let upstreamModels = await gateway.service.ledger.all().map(\.model)
                #expect(upstreamModels == ["gpt-4o", "claude-sonnet-4-6", "claude-sonnet-4-6", "gpt-4o"], "stream \(stream)")
            }
            sequences.append(recorded.all)
        }
        #expect(sequences[0] == [["gpt-4o[0]", nil, "claude-sonnet[0]"], [nil, "claude-sonnet[0]"], ["gpt-4o[0]"]])
        #expect(sequences[0] == sequences[1])
    }
}

/// Attempt sequences gathered inside a `@Sendable` test body.
final class SequenceLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[String?]] = []
    func append(_ entry: [String?]) { lock.withLock { entries.append(entry) } }
    var all: [[String?]] { lock.withLock { entries } }
}
