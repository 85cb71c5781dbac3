import AsyncHTTPClient
import Dialects
import Foundation
import NIOCore
import Routing
import SSE
import Testing

/// Reads a streamed answer as it arrives, calling `onText` with the client's accumulated text
/// each time it grows; returns every byte.
func readStream(_ response: HTTPClientResponse, dialect: Dialect, onText: @Sendable (String) async -> Void) async throws -> [UInt8] {
    var parser = SSEParser()
    var accumulator = dialect.codec.makeAccumulator()
    var text = ""
    var bytes: [UInt8] = []
    for try await chunk in response.body {
        let piece = Array(chunk.readableBytesView)
        bytes += piece
        for frame in parser.feed(piece) {
            guard let event = frame.event else { continue }
            accumulator.consume(event)
            let now = accumulator.outcome().text
            if now != text {
                text = now
                await onText(text)
            }
        }
    }
    return bytes
}

/// The pieces of text the client saw, in order.
final class TextLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    func append(_ text: String) { lock.withLock { entries.append(text) } }
    var all: [String] { lock.withLock { entries } }
}

@Suite("Gateway over loopback", .timeLimit(.minutes(1)))
struct GatewayLiveTests {
    @Test("frames reach the client one by one while the upstream is still holding back the next", arguments: [Dialect.openAIChat, .openAIResponses, .anthropicMessages])
    func noBuffering(dialect: Dialect) async throws {
        let firstHeld = TestGate()
        let secondHeld = TestGate()
        let plan = UpstreamPlan(["primary": [{ request, target in
            let answer = target.answer
            let frames = answer.frames(for: request)
            let one = answer.framesThroughTextPiece(1, for: request)
            let two = answer.framesThroughTextPiece(2, for: request)
            return [.head(status: 200, headers: ProviderAnswer.streamHeaders)]
                + frames[..<one].map { .chunk($0) } + [.wait(firstHeld)]
                + frames[one..<two].map { .chunk($0) } + [.wait(secondHeld)]
                + frames[two...].map { .chunk($0) } + [.end]
        }]])
        // Generous timeouts: this test is about frames passing one by one, not about giving up, and a
        // loaded machine may take a while between a piece arriving and the test releasing the next.
        try await GatewayHarness.run(plan: plan, timeout: 120, idleTimeout: 120) { harness in
            let log = TextLog()
            let response = try await harness.client.start(dialect, model: "primary", stream: true)
            #expect(response.status == .ok)
            let bytes = try await within(.seconds(20), "the stream") {
                try await readStream(response, dialect: dialect) { text in
                    log.append(text)
                    // Each piece arrived while the upstream was still waiting to send the next one.
                    if log.all.count == 1 { firstHeld.open() }
                    if log.all.count == 2 { secondHeld.open() }
                }
            }
            let pieces = log.all
            #expect(pieces.count >= 3)
            #expect(pieces.last == answer)
            #expect(pieces.first.map { answer.hasPrefix($0) && $0.count < answer.count } == true)
            let outcome = dialect.codec.outcome(fromFrames: SSEParser.parse(bytes))
            #expect(outcome.terminated && outcome.error == nil)
            #expect(outcome.model == "gpt-4o-2024-08-06")
        }
    }

    @Test("x-tapedeck-* request headers reach every attempt; the client's other headers and key do not")
    func headerForwarding() async throws {
        let plan = UpstreamPlan(["primary": [{ _, target in ProviderAnswer.error(.serverError, dialect: target.dialect) }]])
        try await GatewayHarness.run(plan: plan) { harness in
            let answer = try await harness.client.send(
                .openAIChat, model: "primary", stream: true,
                headers: [("x-tapedeck-fault", "cut(after: 3)"), ("X-Tapedeck-Scenario", "seed-1"), ("x-secret", "nope")])
            #expect(answer.status == 200)
            let requests = harness.upstream.requests
            #expect(requests.map(\.path) == ["/primary/v1/chat/completions", "/backup/v1/chat/completions"])
            for request in requests {
                #expect(request.header("x-tapedeck-fault") == "cut(after: 3)")
                #expect(request.header("x-tapedeck-scenario") == "seed-1")
                #expect(request.header("x-secret") == nil)
            }
            #expect(requests.map { $0.header("authorization") } == ["Bearer sk-up-primary", "Bearer sk-up-backup"])
        }
    }

    @Test(
        "a failing primary falls back through real HTTP with the same text and model in both modes",
        arguments: [Dialect.openAIChat, .openAIResponses, .anthropicMessages], ["reset", "cut", "http 500", "in-band overload"])
    func fallbackBothModes(dialect: Dialect, fault: String) async throws {
        let failing: UpstreamPlan.Behaviour = { request, target in
            let answer = target.answer
            let afterText = answer.framesThroughTextPiece(2, for: request)
            switch fault {
            case "reset": return answer.truncated(for: request, afterFrames: afterText, ending: .reset)
            case "cut": return answer.truncated(for: request, afterFrames: afterText, ending: .close)
            case "http 500": return ProviderAnswer.error(.serverError, dialect: target.dialect)
            default:
                guard request.json?["stream"]?.boolValue == true else { return ProviderAnswer.error(.overloaded, dialect: target.dialect) }
                let codec = target.dialect.codec
                let error = codec.encoder.encode(codec.inBandErrorEvent(kind: .overloaded, message: nil))
                return [.head(status: 200, headers: ProviderAnswer.streamHeaders)]
                    + answer.frames(for: request).prefix(afterText).map { .chunk($0) } + [.chunk(error), .end]
            }
        }
        try await GatewayHarness.run(plan: UpstreamPlan(["primary": [failing, failing]])) { harness in
            let streamed = try await harness.client.send(dialect, model: "primary", stream: true)
            let plain = try await harness.client.send(dialect, model: "primary", stream: false)
            let context = "\(dialect.rawValue), \(fault)"
            #expect(streamed.status == 200 && plain.status == 200, "\(context)")
            #expect(streamed.isStream && !plain.isStream, "\(context)")
            let streamOutcome = streamed.outcome(dialect)
            let plainOutcome = plain.outcome(dialect)
            #expect(streamOutcome.text == answer && plainOutcome.text == answer, "\(context)")
            #expect(streamOutcome.error == nil && plainOutcome.error == nil, "\(context)")
            // Anthropic streams name their model before the first content; the others name the one that finished.
            if dialect != .anthropicMessages || fault == "http 500" {
                #expect(streamOutcome.model == "gpt-4o-mini-2024-07-18", "\(context)")
            }
            #expect(plainOutcome.model == "gpt-4o-mini-2024-07-18", "\(context)")
            let streamAttempts = RouteAttempt.fromStream(streamed.body)
            let plainAttempts = try plain.header(RouteAttempt.headerName).map { try RouteAttempt.decode(json: $0) }
            #expect(streamAttempts?.map(\.deployment) == ["primary[0]", "backup[0]"], "\(context)")
            #expect(plainAttempts?.map(\.deployment) == ["primary[0]", "backup[0]"], "\(context)")
            #expect(streamAttempts?.map(\.next) == plainAttempts?.map(\.next), "\(context)")
        }
    }

    @Test("an upstream that stalls mid-stream or mid-body is given up on its timeout and the fallback answers")
    func stallFallsBack() async throws {
        let stalling: UpstreamPlan.Behaviour = { request, target in
            target.answer.truncated(for: request, afterFrames: target.answer.framesThroughTextPiece(2, for: request), ending: .hang)
        }
        try await GatewayHarness.run(plan: UpstreamPlan(["primary": [stalling, stalling]])) { harness in
            let streamed = try await harness.client.send(.openAIChat, model: "primary", stream: true)
            let plain = try await harness.client.send(.openAIChat, model: "primary", stream: false)
            #expect(streamed.outcome(.openAIChat).text == answer && plain.outcome(.openAIChat).text == answer)
            #expect(streamed.outcome(.openAIChat).model == plain.outcome(.openAIChat).model)
            let attempts = RouteAttempt.fromStream(streamed.body)
            #expect(attempts?.first?.error?.kind == .timeout)
            #expect(try plain.header(RouteAttempt.headerName).map { try RouteAttempt.decode(json: $0) }?.first?.error?.kind == .timeout)
        }
    }

    @Test("a key's own fallbacks apply through HTTP in both modes")
    func keyFallbacks() async throws {
        let failing: UpstreamPlan.Behaviour = { _, target in ProviderAnswer.error(.rateLimit, dialect: target.dialect) }
        try await GatewayHarness.run(plan: UpstreamPlan(["primary": [failing, failing]])) { harness in
            let streamed = try await harness.client.send(.openAIChat, model: "primary", stream: true, key: "sk-team")
            let plain = try await harness.client.send(.openAIChat, model: "primary", stream: false, key: "sk-team")
            #expect(streamed.outcome(.openAIChat).model == "claude-sonnet-4-6")
            #expect(plain.outcome(.openAIChat).model == "claude-sonnet-4-6")
            #expect(harness.upstream.requests.map(\.path).filter { $0.hasPrefix("/claude") }.count == 2)
        }
    }

    @Test("a client that hangs up mid-stream cancels the upstream attempt")
    func disconnectMidStream() async throws {
        let plan = UpstreamPlan(["primary": [{ request, target in
            let answer = target.answer
            return answer.truncated(for: request, afterFrames: answer.framesThroughTextPiece(1, for: request), ending: .hang)
        }]])
        // Timeouts far beyond the test's guard: only the hang-up can end the attempt in time.
        try await GatewayHarness.run(plan: plan, timeout: 120, idleTimeout: 120) { harness in
            let gotText = TestGate()
            let reading = Task {
                let response = try await harness.client.start(.openAIChat, model: "primary", stream: true)
                _ = try await readStream(response, dialect: .openAIChat) { _ in gotText.open() }
            }
            #expect(await gotText.wait(atMost: .seconds(10)))
            #expect(harness.upstream.closedConnections.value == 0)
            reading.cancel()
            #expect(await harness.upstream.closedConnections.wait(forAtLeast: 1), "the upstream connection closes when the client goes")
            #expect(harness.upstream.requests.count == 1, "no fallback is started for a client that left")
        }
    }

    @Test("a client that hangs up before the first byte cancels the upstream attempt", arguments: [true, false])
    func disconnectBeforeAnswer(stream: Bool) async throws {
        let plan = UpstreamPlan(["primary": [{ _, _ in [.hang] }]])
        try await GatewayHarness.run(plan: plan, timeout: 120, idleTimeout: 120) { harness in
            let waiting = Task { _ = try await harness.client.send(.openAIChat, model: "primary", stream: stream) }
            #expect(await harness.upstream.requestCount.wait(forAtLeast: 1))
            waiting.cancel()
            #expect(await harness.upstream.closedConnections.wait(forAtLeast: 1), "the upstream connection closes when the client goes")
            #expect(harness.upstream.requests.count == 1)
        }
    }

    @Test("concurrent streams through one gateway each get their own complete answer")
    func concurrentStreams() async throws {
        try await GatewayHarness.run { harness in
            try await withThrowingTaskGroup(of: Outcome.self) { group in
                for index in 0..<20 {
                    let dialect: Dialect = [.openAIChat, .openAIResponses, .anthropicMessages][index % 3]
                    group.addTask { try await harness.client.send(dialect, model: "primary", stream: index % 2 == 0).outcome(dialect) }
                }
                for try await outcome in group {
                    #expect(outcome.text == answer && outcome.error == nil)
                }
            }
        }
    }
}
