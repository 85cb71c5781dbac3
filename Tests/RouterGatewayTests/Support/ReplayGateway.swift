import AsyncHTTPClient
import Dialects
import Faults
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Replay
import RouterGateway
import Routing
import Testing

/// The gateway in front of the real replay server: `tapedeck route` with the analyzer's demo
/// router (`fixtures/routers/analyze-demo.yaml`) over `tapedeck serve` with the demo cassette, both
/// on loopback, so faults are set per request through the gateway (`x-tapedeck-fault`) or by the
/// replay server's schedules.
struct ReplayGateway: Sendable {
    static let masterKey = "sk-tapedeck-demo"
    static let library = try! RecordingLibrary.load(path: Fixtures.url("cassettes/analyze-demo.jsonl").path)
    /// Claude Sonnet 4.6 refuses assistant prefill, as the demo router's config says.
    static let capabilities = ["claude-sonnet-4-6": ModelCapabilities([.rejectsPrefill])]

    let service: ReplayService
    let client: GatewayClient

    /// Runs `body` against a fresh replay server and gateway. `editConfig` changes the router
    /// config's text; `clock` replaces the router's real clock.
    static func run(
        faults: FaultBook = FaultBook(capabilities: capabilities), editConfig: @escaping @Sendable (String) -> String = { $0 },
        clock: (any RouterClock)? = nil, _ body: @escaping @Sendable (ReplayGateway) async throws -> Void
    ) async throws {
        var quiet = Logger(label: "tapedeck.e2e")
        quiet.logLevel = .error
        let service = ReplayService(library: library, faults: faults, pacing: .none, logger: quiet)
        let server = try await ReplayServer.start(configuration: .init(host: "127.0.0.1", port: 0), responder: service, logger: quiet)
        let yaml = try String(contentsOf: Fixtures.url("routers/analyze-demo.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "127.0.0.1:8788", with: "127.0.0.1:\(server.port)")
        let config = try RouterConfigLoader.parse(yaml: editConfig(yaml), file: "analyze-demo.yaml", environment: [:]).config
        let transport = HTTPUpstreamTransport(logger: quiet)
        let application = buildGatewayApplication(
            config: config, transport: transport, settings: GatewaySettings(port: 0), clock: clock ?? SystemRouterClock(), logger: quiet)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var failure: (any Error)?
        do {
            try await application.test(.live) { testClient in
                let port = try #require(testClient.port)
                try await body(ReplayGateway(service: service, client: GatewayClient(http: http, port: port)))
            }
        } catch {
            failure = error
        }
        try? await http.shutdown()
        try? await transport.shutdown()
        await server.stop()
        if let failure { throw failure }
    }

    /// One mode's result: what the client got, the attempts it was told about, and what the
    /// replay server saw.
    struct ModeRun {
        var answer: GatewayClient.Answer
        var outcome: Outcome
        var attempts: [RouteAttempt]
        var upstream: [LedgerEntry]

        /// True when some attempt went on from text the client already had.
        var continued: Bool { attempts.contains { $0.continuation != nil } }
        /// The model of the attempt that answered (or the last one).
        var answeredBy: String? { attempts.last?.reportedModel ?? attempts.last?.model }
    }

    /// Sends the same request once streaming and once not, each from a clean replay ledger and
    /// restarted fault schedules.
    func bothModes(
        path: String = "/v1/chat/completions", _ body: JSONValue, key: String? = masterKey, fault: String? = nil
    ) async throws -> (stream: ModeRun, body: ModeRun) {
        var runs: [ModeRun] = []
        for stream in [true, false] {
            await service.resetAttempts()
            let headers = fault.map { [("x-tapedeck-fault", $0)] } ?? []
            let answer = try await client.send(path: path, body: body, stream: stream, key: key, headers: headers)
            let dialect = ClientEndpoint(rawValue: path)?.dialect ?? .openAIChat
            let attempts = try answer.isStream
                ? RouteAttempt.fromStream(answer.body) ?? []
                : answer.header(RouteAttempt.headerName).map { try RouteAttempt.decode(json: $0) } ?? []
            runs.append(ModeRun(answer: answer, outcome: answer.outcome(dialect), attempts: attempts, upstream: await service.ledger.all()))
        }
        return (runs[0], runs[1])
    }
}

/// The demo cassette's two conversations, as each client dialect asks them.
enum DemoRequests {
    static let capital = "What is the capital of France? Answer in two sentences."
    static let tips = "Give me three short tips for writing reliable retry logic."
    static let system = "You are a concise assistant."

    static func chat(_ question: String, extra: [String: JSONValue] = [:]) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": "gpt-4o", "messages": [["role": "system", "content": .string(system)], ["role": "user", "content": .string(question)]],
        ]
        body.merge(extra) { $1 }
        return .object(body)
    }

    static let responses: JSONValue = ["model": "gpt-4o", "instructions": .string(system), "input": .string(capital)]
    static let messages: JSONValue = [
        "model": "gpt-4o", "max_tokens": 512, "system": .string(system), "messages": [["role": "user", "content": .string(capital)]],
    ]
}

/// What must hold between the two modes of one scenario: the same status and error, the same
/// attempts (deployments, and what followed each), the same answering model, and — unless the
/// stream went on from text it already had, where the stream's text is the partial answer plus
/// the fallback's continuation — the same text.
func expectSameResult(_ pair: (stream: ReplayGateway.ModeRun, body: ReplayGateway.ModeRun), _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let (stream, body) = pair
    #expect(stream.answer.status == body.answer.status, "\(context): status", sourceLocation: sourceLocation)
    #expect(stream.outcome.error?.kind == body.outcome.error?.kind, "\(context): error", sourceLocation: sourceLocation)
    #expect(stream.attempts.map(\.deployment) == body.attempts.map(\.deployment), "\(context): attempts", sourceLocation: sourceLocation)
    #expect(stream.attempts.map(\.next) == body.attempts.map(\.next), "\(context): what followed each attempt", sourceLocation: sourceLocation)
    #expect(stream.answeredBy == body.answeredBy, "\(context): answering model", sourceLocation: sourceLocation)
    if !stream.continued {
        #expect(stream.outcome.text == body.outcome.text, "\(context): text", sourceLocation: sourceLocation)
    }
    if stream.outcome.error == nil {
        #expect(stream.outcome.terminated && body.outcome.terminated, "\(context): both answers complete", sourceLocation: sourceLocation)
        #expect(!stream.outcome.text.isEmpty, "\(context): an answer", sourceLocation: sourceLocation)
    }
}
