import Dialects
import Foundation
import Logging

/// The fallback router: routes one client request through a configuration's model groups,
/// retrying, failing over and continuing interrupted streams, with all upstream I/O through a
/// `UpstreamTransport`.
///
/// There is one attempt loop for every endpoint and both modes. Each failed attempt becomes an
/// `AttemptFailure` for the `RouteResolver`, which never learns whether the client streams; the
/// mode only decides whether content is written as it arrives (`ClientChannel`) and whether the
/// upstream is asked for a stream.
public final class Router: Sendable {
    public let config: RouterConfig
    private let transport: any UpstreamTransport
    private let clock: any RouterClock
    private let logger: Logger
    private let health: DeploymentHealth
    private let makeRequestID: @Sendable () -> String
    private let epochSeconds: @Sendable () -> Int

    /// - Parameters:
    ///   - clock: drives deadlines, retry delays, cooldowns and attempt timestamps.
    ///   - makeRequestID: ids for requests that bring none (they seed response ids too).
    ///   - epochSeconds: the wall-clock time written into responses (`created`).
    public init(
        config: RouterConfig, transport: any UpstreamTransport, clock: any RouterClock = SystemRouterClock(),
        logger: Logger = Logger(label: "tapedeck.routing"),
        makeRequestID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") },
        epochSeconds: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.config = config
        self.transport = transport
        self.clock = clock
        self.logger = logger
        self.health = DeploymentHealth(book: CooldownBook(settings: config.settings))
        self.makeRequestID = makeRequestID
        self.epochSeconds = epochSeconds
    }

    /// The deployments' cooldown state right now.
    public func cooldowns() async -> CooldownBook { await health.snapshot }

    /// Routes a request and collects the whole answer in memory.
    public func route(_ request: ClientRequest) async -> RouteResult {
        let collector = ResponseCollector()
        let report = await route(request) { part in collector.append(part) }
        let (status, headers, body) = collector.result
        return RouteResult(report: report, status: status, headers: headers, body: body)
    }

    /// Routes a request, handing the answer to `write` piece by piece as it is produced: one head,
    /// then body bytes. When `write` throws, the client is taken as gone and routing stops.
    public func route(_ request: ClientRequest, write: @escaping @Sendable (ClientResponsePart) async throws -> Void) async -> RouteReport {
        let requestID = request.requestID ?? makeRequestID()
        let clientDialect = request.dialect == .gemini ? Dialect.openAIChat : request.dialect

        func refuse(_ kind: ErrorKind, _ message: String, stream: Bool = false) async -> RouteReport {
            var channel = ClientChannel(
                dialect: clientDialect, streaming: stream, requestID: requestID, created: epochSeconds(), includeUsage: false,
                write: write)
            let error = OutcomeError(kind: kind, status: clientDialect.codec.status(for: kind), message: message)
            await channel.fail(error: error, retryAfter: nil, attempts: [])
            return RouteReport(
                requestID: requestID, status: channel.status, streamed: false,
                outcome: Outcome(dialect: clientDialect, error: error), attempts: [], clientGone: channel.gone)
        }

        guard request.dialect != .gemini else {
            return await refuse(.notFound, "the router serves /v1/chat/completions, /v1/responses and /v1/messages, not Gemini requests")
        }
        guard let body = try? JSONValue.parse(request.body), case .object = body else {
            return await refuse(.badRequest, "the request body is not a JSON object")
        }
        guard config.authorizes(key: request.apiKey) else {
            return await refuse(.auth, "the API key is not the master key or a key listed under keys:")
        }
        let stream = body["stream"]?.boolValue ?? false
        guard let group = body["model"]?.stringValue, !config.deployments(in: group).isEmpty else {
            let asked = body["model"]?.stringValue.map { "\"\($0)\"" } ?? "no model"
            let known = config.groups.joined(separator: ", ")
            return await refuse(.badRequest, "the request asks for \(asked), which is not a model_name in the router config (known: \(known))", stream: stream)
        }
        let fields: RequestRoutingFields
        do {
            fields = try RequestRoutingFields.parse(body: body, group: group)
        } catch {
            return await refuse(.badRequest, error.description, stream: stream)
        }

        var run = RouteRun(
            router: self, requestID: requestID, group: group,
            policy: RoutePolicy(config: config, key: request.apiKey, request: fields),
            builder: UpstreamRequestBuilder(clientDialect: clientDialect, clientBody: body, stream: stream, clientHeaders: request.headers),
            channel: ClientChannel(
                dialect: clientDialect, streaming: stream, requestID: requestID, created: epochSeconds(),
                includeUsage: body["stream_options"]?["include_usage"]?.boolValue ?? false, write: write))
        return await run.execute()
    }

    // MARK: - Shared with the attempt loop

    var routerClock: any RouterClock { clock }
    var routerTransport: any UpstreamTransport { transport }
    var routerLogger: Logger { logger }
    var deploymentHealth: DeploymentHealth { health }
}

/// Gathers a routed answer's parts for `Router.route(_:)`.
private final class ResponseCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var status = 0
    private var headers: [HTTPField] = []
    private var body: [UInt8] = []

    func append(_ part: ClientResponsePart) {
        lock.withLock {
            switch part {
            case .head(let status, let headers):
                self.status = status
                self.headers = headers
            case .body(let bytes):
                body += bytes
            }
        }
    }

    var result: (Int, [HTTPField], [UInt8]) { lock.withLock { (status, headers, body) } }
}
