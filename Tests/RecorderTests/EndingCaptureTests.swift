import Cassettes
import Dialects
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Recorder
import SSE
import Testing

/// What the in-test upstream does, and what the client and the cassette must then show.
struct EndingScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var path: String
    var body: String
    var script: ScriptedUpstream.Script
    var ending: Ending
    /// The status the client gets (nil: the connection fails before any head).
    var clientStatus: Int?
    /// Whether the client's body ends cleanly.
    var clientEndsCleanly: Bool
    /// The bytes the upstream sent after its head, which the client must get exactly (when it gets a head).
    var upstreamBytes: [UInt8]
    /// Whether the interaction has a response head.
    var recordedHead: Bool = true

    var testDescription: String { name }
}

@Suite("Every ending is captured", .serialized)
struct EndingCaptureTests {
    static let openAIPath = "/v1/chat/completions"
    static let openAIBody = #"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"stream":true}"#
    static let anthropicPath = "/v1/messages"
    static let anthropicBody = #"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hi"}],"stream":true}"#
    static let sseHeaders = [("content-type", "text/event-stream")]

    static func fixture(_ path: String) -> [UInt8] { (try? Fixtures.bytes(path)) ?? [] }

    /// The first `count` SSE blocks of a fixture.
    static func prefix(_ bytes: [UInt8], frames count: Int) -> [UInt8] {
        SSEParser.parse(bytes).prefix(count).flatMap(\.raw)
    }

    static func streaming(_ bytes: [UInt8], then finish: @escaping @Sendable (UpstreamResponder) async throws -> Void)
        -> ScriptedUpstream.Script
    {
        return { _, responder in
            try await responder.head(.ok, sseHeaders)
            for frame in SSEParser.parse(bytes) { try await responder.send(frame.raw) }
            try await finish(responder)
        }
    }

    static var scenarios: [EndingScenario] {
        let full = fixture("streams/openai_chat/text-stop.sse")
        let partial = prefix(full, frames: 3)
        let inBand = fixture("streams/openai_chat/inband-error-midstream.sse")
        let anthropicInBand = fixture("streams/anthropic_messages/inband-overloaded-midstream.sse")
        let anthropicCut = fixture("streams/anthropic_messages/cut-before-message-stop.sse")
        let rateLimit = fixture("streams/openai_chat/http-429-rate-limit.json")
        let plain = fixture("streams/openai_chat/text-stop.json")
        return [
            EndingScenario(
                name: "complete stream", path: openAIPath, body: openAIBody,
                script: streaming(full) { try await $0.end() }, ending: .complete, clientStatus: 200,
                clientEndsCleanly: true, upstreamBytes: full),
            EndingScenario(
                name: "complete plain body", path: openAIPath, body: openAIBody,
                script: { _, responder in
                    try await responder.head(.ok, [("content-type", "application/json"), ("content-length", "\(plain.count)")])
                    try await responder.send(plain)
                    try await responder.end()
                }, ending: .complete, clientStatus: 200, clientEndsCleanly: true, upstreamBytes: plain),
            EndingScenario(
                name: "HTTP 429 relayed as is", path: openAIPath, body: openAIBody,
                script: { _, responder in
                    try await responder.head(.tooManyRequests, [
                        ("content-type", "application/json"), ("retry-after", "7"), ("content-length", "\(rateLimit.count)"),
                    ])
                    try await responder.send(rateLimit)
                    try await responder.end()
                }, ending: .httpError, clientStatus: 429, clientEndsCleanly: true, upstreamBytes: rateLimit),
            EndingScenario(
                name: "OpenAI in-band error", path: openAIPath, body: openAIBody,
                script: streaming(inBand) { try await $0.end() }, ending: .inBandError, clientStatus: 200,
                clientEndsCleanly: true, upstreamBytes: inBand),
            EndingScenario(
                name: "Anthropic in-band overloaded event", path: anthropicPath, body: anthropicBody,
                script: streaming(anthropicInBand) { await $0.cut() }, ending: .inBandError, clientStatus: 200,
                clientEndsCleanly: false, upstreamBytes: anthropicInBand),
            EndingScenario(
                name: "cut without terminator", path: openAIPath, body: openAIBody,
                script: streaming(partial) { await $0.cut() }, ending: .truncated, clientStatus: 200,
                clientEndsCleanly: false, upstreamBytes: partial),
            EndingScenario(
                name: "Anthropic cut before message_stop", path: anthropicPath, body: anthropicBody,
                script: streaming(anthropicCut) { await $0.cut() }, ending: .truncated, clientStatus: 200,
                clientEndsCleanly: false, upstreamBytes: anthropicCut),
            EndingScenario(
                name: "terminator dropped, body ended properly", path: openAIPath, body: openAIBody,
                script: streaming(partial) { try await $0.end() }, ending: .truncated, clientStatus: 200,
                clientEndsCleanly: true, upstreamBytes: partial),
            EndingScenario(
                name: "reset mid-stream", path: openAIPath, body: openAIBody,
                script: streaming(partial) { await $0.reset() }, ending: .reset, clientStatus: 200,
                clientEndsCleanly: false, upstreamBytes: partial),
            EndingScenario(
                name: "stall mid-stream", path: openAIPath, body: openAIBody,
                script: streaming(partial) { await $0.stallUntilClosed() }, ending: .timeout, clientStatus: 200,
                clientEndsCleanly: false, upstreamBytes: partial),
            EndingScenario(
                name: "reset before headers", path: openAIPath, body: openAIBody,
                script: { _, responder in await responder.reset() }, ending: .reset, clientStatus: nil,
                clientEndsCleanly: false, upstreamBytes: [], recordedHead: false),
            EndingScenario(
                name: "no answer before the idle timeout", path: openAIPath, body: openAIBody,
                script: { _, responder in await responder.stallUntilClosed() }, ending: .timeout, clientStatus: 504,
                clientEndsCleanly: true, upstreamBytes: [], recordedHead: false),
        ]
    }

    @Test("the client sees the upstream's fault and the cassette records its ending", arguments: scenarios)
    func scenario(_ scenario: EndingScenario) async throws {
        // Long enough for a loaded CI machine; the stall scripts wait until the recorder gives up.
        let harness = try await RecorderHarness(configure: { $0.idleTimeout = .seconds(2) }, script: scenario.script)
        defer { harness.remove() }
        let client = try await harness.send(scenario.path, body: scenario.body)
        #expect(client.status == scenario.clientStatus)
        if let status = scenario.clientStatus, status != 504 {
            #expect(client.body == scenario.upstreamBytes, "the client got other bytes than the upstream sent")
            #expect(client.ended == scenario.clientEndsCleanly, "\(String(describing: client.error))")
        }
        if scenario.clientStatus == nil { #expect(client.error != nil) }

        let recorded = try await harness.finish()
        #expect(recorded.count == 1)
        let interaction = try #require(recorded.first)
        #expect(interaction.ending == scenario.ending)
        #expect((interaction.response != nil) == scenario.recordedHead)
        #expect(interaction.content.bytes == scenario.upstreamBytes)
        if case .frames(let frames) = interaction.content {
            #expect(frames.map(\.bytes) == SSEParser.parse(scenario.upstreamBytes).map(\.raw))
        }
        let snapshot = harness.metrics.snapshot()
        #expect(snapshot.interactions[scenario.ending] == 1)
        #expect(snapshot.activeExchanges == 0)
    }

    @Test("an unreachable upstream gets the client a 502 and is recorded as reset without a head")
    func unreachable() async throws {
        // A port that was just free: bind, note it, close.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress?.port ?? 1
        try await probe.close()
        let harness = try await RecorderHarness(configure: { configuration in
            configuration.routes = (try? RouteTable([UpstreamRoute(parsing: "http://127.0.0.1:\(port)")])) ?? configuration.routes
        }) { _, _ in }
        defer { harness.remove() }
        let result = try await harness.send(Self.openAIPath, body: Self.openAIBody)
        #expect(result.status == 502)
        let recorded = try await harness.finish()
        #expect(recorded.first?.ending == .reset)
        #expect(recorded.first?.response == nil)
    }
}
