import AsyncHTTPClient
import Dialects
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RouterGateway
import Routing
import Testing

/// The router configuration of the gateway tests: two OpenAI groups and an Anthropic one on the
/// scripted upstream, a master key and a team key with its own fallbacks. Timeouts in seconds.
func gatewayConfig(base: String, timeout: Int = 3, idleTimeout: Int = 1) -> String {
    """
    model_list:
      - model_name: primary
        litellm_params: {model: openai/gpt-4o, api_base: "\(base)/primary/v1", api_key: sk-up-primary}
      - model_name: backup
        litellm_params: {model: openai/gpt-4o-mini, api_base: "\(base)/backup/v1", api_key: sk-up-backup}
      - model_name: claude
        litellm_params: {model: anthropic/claude-sonnet-4-6, api_base: "\(base)/claude", api_key: sk-up-claude}
    router_settings:
      fallbacks: [{primary: [backup]}, {claude: [backup]}]
      retry_backoff: 0
      timeout: \(timeout)
      stream_idle_timeout: \(idleTimeout)
    general_settings: {master_key: sk-master}
    keys:
      - key: sk-team
        router_settings: {fallbacks: [{primary: [claude]}]}
    """
}

/// Which upstream answers: the deployment's path prefix, and the dialect its path speaks.
struct UpstreamTarget: Sendable {
    var deployment: String
    var dialect: Dialect

    init(_ request: ScriptedUpstreamServer.Received) {
        deployment = request.path.split(separator: "/").first.map(String.init) ?? ""
        if request.path.hasSuffix("/responses") {
            dialect = .openAIResponses
        } else if request.path.hasSuffix("/messages") {
            dialect = .anthropicMessages
        } else {
            dialect = .openAIChat
        }
    }

    /// The model each deployment reports.
    var model: String {
        switch deployment {
        case "primary": return "gpt-4o-2024-08-06"
        case "backup": return "gpt-4o-mini-2024-07-18"
        default: return "claude-sonnet-4-6"
        }
    }

    var answer: ProviderAnswer { ProviderAnswer(dialect: dialect, model: model) }
}

/// What each deployment does, call by call: a queue of behaviours per deployment, then complete
/// answers forever.
final class UpstreamPlan: @unchecked Sendable {
    typealias Behaviour = @Sendable (ScriptedUpstreamServer.Received, UpstreamTarget) -> [ScriptedUpstreamServer.Step]

    private let lock = NSLock()
    private var queues: [String: [Behaviour]]

    init(_ queues: [String: [Behaviour]] = [:]) {
        self.queues = queues
    }

    func steps(for request: ScriptedUpstreamServer.Received) -> [ScriptedUpstreamServer.Step] {
        let target = UpstreamTarget(request)
        let behaviour: Behaviour? = lock.withLock {
            guard var queue = queues[target.deployment], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            queues[target.deployment] = queue
            return first
        }
        return behaviour?(request, target) ?? target.answer.steps(for: request)
    }
}

/// A gateway over a scripted upstream on loopback, with a client to call it.
struct GatewayHarness: Sendable {
    let upstream: ScriptedUpstreamServer
    let client: GatewayClient

    /// Runs `body` against a live gateway (port 0) in front of a fresh upstream playing `plan`.
    static func run(
        plan: UpstreamPlan = UpstreamPlan(), timeout: Int = 3, idleTimeout: Int = 1,
        _ body: @escaping @Sendable (GatewayHarness) async throws -> Void
    ) async throws {
        let upstream = ScriptedUpstreamServer(script: { plan.steps(for: $0) })
        try await upstream.start()
        let loaded = try RouterConfigLoader.parse(
            yaml: gatewayConfig(base: upstream.url(), timeout: timeout, idleTimeout: idleTimeout), file: "gateway-test.yaml", environment: [:])
        let transport = HTTPUpstreamTransport()
        var logger = Logger(label: "tapedeck.gateway.test")
        logger.logLevel = .warning
        let application = buildGatewayApplication(
            config: loaded.config, transport: transport, settings: GatewaySettings(port: 0), logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await application.test(.live) { testClient in
                let port = try #require(testClient.port)
                try await body(GatewayHarness(upstream: upstream, client: GatewayClient(http: http, port: port)))
            }
        } catch {
            try? await http.shutdown()
            try? await transport.shutdown()
            await upstream.shutdown()
            throw error
        }
        try await http.shutdown()
        try await transport.shutdown()
        await upstream.shutdown()
    }
}

/// Fails with `TimedOut` when `body` takes longer than `limit`: a guard against a test hanging
/// on a broken gateway, never a way to wait for something.
struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

func within<Value: Sendable>(_ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(what: what) }
        return value
    }
}
