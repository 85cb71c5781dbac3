import Dialects
import Faults
import Foundation
import Logging
import Replay
import Routing
import Testing

@testable import Analysis

/// The analyzer end to end in process: the built-in router over HTTP to a live replay server.
@Suite("Analysis runner", .serialized)
struct AnalysisRunnerTests {
    static let library = try! RecordingLibrary.load(path: Fixtures.url("cassettes/analyze-demo.jsonl").path)

    static func analyze(router: String, scenarios: [Scenario]) async throws -> AnalysisReport {
        let logger = Logger(label: "test")
        let service = ReplayService(library: library, faults: FaultBook(), pacing: .none, logger: logger)
        let server = try await ReplayServer.start(configuration: .init(host: "127.0.0.1", port: 0), responder: service, logger: logger)
        let transport = HTTPUpstreamTransport(logger: logger)
        let path = Fixtures.url("routers/\(router)").path
        var config = try RouterConfigLoader.load(contentsOf: URL(fileURLWithPath: path), environment: [:]).config
        // No scenario here stalls: generous timeouts keep a loaded machine from failing over early.
        config.settings.timeout = .seconds(30)
        config.settings.streamFirstTokenTimeout = .seconds(30)
        config.settings.streamIdleTimeout = .seconds(30)
        let target = RouterTarget(config: config, configPath: path, upstreamPort: server.port, transport: transport, logger: logger)
        let runner = AnalysisRunner(target: target, replay: service, options: AnalysisOptions(deadline: .seconds(10), apiKey: config.masterKey))
        let result: Result<AnalysisReport, any Error>
        do { result = .success(try await runner.run(scenarios)) } catch { result = .failure(error) }
        try? await transport.shutdown()
        await server.stop()
        return try result.get()
    }

    static let prompt: JSONValue = [
        "model": "gpt-4o",
        "messages": [
            ["role": "system", "content": "You are a concise assistant."],
            ["role": "user", "content": "Give me three short tips for writing reliable retry logic."],
        ],
    ]

    static let scenarios = [
        Scenario(name: "http-429", request: prompt, faults: ["gpt-4o": ["http_error:status=429"]]),
        Scenario(name: "midstream-cut", request: prompt, faults: ["gpt-4o": ["cut:after=4"]],
                 capabilities: ["claude-sonnet-4-6": ["rejects_prefill"]]),
        Scenario(name: "midstream-rate-limit", endpoint: "/v1/responses",
                 request: ["model": "gpt-4o", "instructions": "You are a concise assistant.",
                           "input": "Give me three short tips for writing reliable retry logic."],
                 faults: ["gpt-4o": ["error_event:kind=rate_limit,after=8"]], capabilities: ["claude-sonnet-4-6": ["rejects_prefill"]]),
    ]

    @Test("the sound built-in router gives the same answer in both modes and no finding")
    func soundRouter() async throws {
        let report = try await Self.analyze(router: "analyze-demo.yaml", scenarios: Self.scenarios)
        #expect(report.findings.isEmpty, "\(report.findings.map(\.message))")
        for scenario in report.scenarios {
            let stream = try #require(scenario.stream)
            let nonStream = try #require(scenario.nonStream)
            #expect(stream.outcome.isSuccess && nonStream.outcome.isSuccess)
            #expect(stream.modelsTried == nonStream.modelsTried)
            #expect(stream.attempts.first?.model == "gpt-4o")
            #expect(!stream.clientFrames.isEmpty)
        }
        let cut = try #require(report.scenarios.first { $0.name == "midstream-cut" }?.stream)
        let continuation = try #require(cut.attempts.last?.continuation)
        #expect(continuation.style == "user_message", "claude-sonnet-4-6 does not support prefill")
        #expect(!continuation.text.isEmpty)
    }

    @Test("mid_stream_fallback: disabled is reported as a fallback skipped in stream")
    func midStreamDisabled() async throws {
        let report = try await Self.analyze(router: "policies/midstream-disabled.yaml", scenarios: Self.scenarios)
        let codes = Dictionary(uniqueKeysWithValues: report.scenarios.map { ($0.name, $0.findings.map(\.code)) })
        #expect(codes["http-429"] == [], "a failure before any content still fails over")
        #expect(codes["midstream-cut"] == [.fallbackSkippedInStream])
        #expect(codes["midstream-rate-limit"] == [.fallbackSkippedInStream])
    }

    @Test("continuation: prefill to a model that rejects prefill is reported")
    func prefillContinuation() async throws {
        let report = try await Self.analyze(router: "policies/prefill-continuation.yaml", scenarios: Self.scenarios)
        let cut = try #require(report.scenarios.first { $0.name == "midstream-cut" })
        #expect(cut.findings.map(\.code).contains(.continuationPrefillRejected))
        #expect(report.scenarios.first { $0.name == "http-429" }?.findings == [])
    }
}
