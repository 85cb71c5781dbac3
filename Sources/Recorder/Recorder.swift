import HTTPServerSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The recording reverse proxy: accepts clients, relays each request to its upstream and the
/// response back byte for byte as it arrives, and records every exchange into a sink.
///
/// `bind` opens the sockets (so port 0 resolves before anything runs), `run` serves until
/// `shutdown` has drained the connections, then flushes the sink.
public final class Recorder: Sendable {
    public let configuration: RecorderConfiguration
    public let metrics: RecorderMetrics
    /// The port clients connect to.
    public let port: Int
    /// The admin port, when one was asked for.
    public var adminPort: Int? { admin?.port }

    private let context: RecorderContext
    private let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let admin: AdminServer?
    private let registry = NIOLockedValueBox(Registry())
    private let logger: Logger

    private struct Registry {
        var connections: [ObjectIdentifier: ClientConnection] = [:]
        var draining = false
        var nextWaiter = 0
        var emptyWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    /// Opens the listening sockets and the upstream client.
    public static func bind(
        configuration: RecorderConfiguration, sink: any InteractionSink, metrics: RecorderMetrics = RecorderMetrics(),
        logger: Logger = Logger(label: "tapedeck.recorder"), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(RecorderError) -> Recorder {
        let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                // A slow client holds at most this much in the recorder before the relay waits.
                .childChannelOption(.writeBufferWaterMark, value: .init(low: 16 << 10, high: 32 << 10))
                .bind(host: configuration.listenHost, port: configuration.listenPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // No pipelining assistance: it stops reading while a response is pending,
                        // and reading is how a client that went away mid-stream is noticed.
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                            withPipeliningAssistance: false, withErrorHandling: false)
                        // A request that is not HTTP gets a 400 saying why, not an empty one.
                        try channel.pipeline.syncOperations.addHandler(MalformedRequestResponder())
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 4)))
                    }
                }
        } catch {
            throw .bindFailed(address: "\(configuration.listenHost):\(configuration.listenPort)", reason: "\(error)")
        }

        let upstream: UpstreamClient
        do {
            upstream = try UpstreamClient(
                trustRootsFile: configuration.upstreamTrustRootsFile,
                maxIdlePerHost: configuration.maxIdleConnectionsPerHost)
        } catch {
            listener.channel.close(promise: nil)
            throw .invalidTrustRoots(file: configuration.upstreamTrustRootsFile ?? "", reason: "\(error)")
        }
        let context = RecorderContext(
            configuration: configuration, upstream: upstream, sink: sink, metrics: metrics, logger: logger)

        var admin: AdminServer?
        if let adminHost = configuration.adminHost {
            do {
                admin = try await AdminServer.bind(
                    host: adminHost, port: configuration.adminPort, group: group, logger: logger
                ) { head in Self.adminReply(head, metrics: metrics, sink: sink, context: context) }
            } catch {
                listener.channel.close(promise: nil)
                upstream.shutdown()
                throw error
            }
        }
        return Recorder(configuration: configuration, metrics: metrics, context: context, listener: listener, admin: admin, logger: logger)
    }

    private init(
        configuration: RecorderConfiguration, metrics: RecorderMetrics, context: RecorderContext,
        listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        admin: AdminServer?, logger: Logger
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.context = context
        self.listener = listener
        self.admin = admin
        self.logger = logger
        self.port = listener.channel.localAddress?.port ?? configuration.listenPort
    }

    /// Whether `shutdown` has begun.
    public var isDraining: Bool { registry.withLockedValue { $0.draining } }

    /// Serves until `shutdown` finishes draining; then flushes the sink and closes everything.
    public func run() async {
        await withDiscardingTaskGroup { group in
            if let admin { group.addTask { await admin.run() } }
            await withDiscardingTaskGroup { connections in
                do {
                    try await listener.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await self.serve(connection) }
                        }
                    }
                } catch {
                    logger.debug("listener ended", metadata: ["error": "\(error)"])
                }
            }
            await context.sink.close()
            context.upstream.shutdown()
            admin?.close()
        }
    }

    /// Stops accepting, lets exchanges in flight finish for up to `gracePeriod`, then cuts the
    /// rest (recorded as `client_aborted`, tagged `recorder_shutdown`). `run` then flushes and returns.
    public func shutdown(gracePeriod: Duration) async {
        let open = registry.withLockedValue { registry in
            registry.draining = true
            return Array(registry.connections.values)
        }
        context.markDraining()
        logger.info("recorder draining", metadata: ["connections": "\(open.count)"])
        listener.channel.close(promise: nil)
        for connection in open { connection.drain() }
        if await waitUntilNoConnections(timeout: gracePeriod) { return }
        let remaining = registry.withLockedValue { Array($0.connections.values) }
        logger.warning("shutdown deadline passed, cutting exchanges", metadata: ["connections": "\(remaining.count)"])
        for connection in remaining { connection.abortForShutdown() }
        if await waitUntilNoConnections(timeout: .seconds(5)) { return }
        // A client that reads nothing keeps a write pending; closing the socket fails it.
        for connection in registry.withLockedValue({ Array($0.connections.values) }) {
            connection.channel.close(promise: nil)
        }
    }

    // MARK: Connections

    private func serve(_ channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        let connection = ClientConnection(channel: channel.channel)
        let admitted = registry.withLockedValue { registry -> Bool in
            guard !registry.draining else { return false }
            registry.connections[ObjectIdentifier(connection)] = connection
            return true
        }
        guard admitted else {
            try? await channel.channel.close()
            return
        }
        defer { unregister(connection) }
        // Everything of this connection, its upstream connections included, runs on its event loop.
        if #available(macOS 15.0, *) {
            await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: channel.channel.eventLoop)) {
                await serveExchanges(channel, connection: connection)
            }
        } else {
            await serveExchanges(channel, connection: connection)
        }
    }

    private func serveExchanges(
        _ channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, connection: ClientConnection
    ) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                await withDiscardingTaskGroup { group in
                    group.addTask {
                        do {
                            for try await part in inbound {
                                guard await connection.inbox.push(part) else { break }
                            }
                        } catch {
                            // A read error is the client going away; nothing to report.
                        }
                        // The reason first, so a relay woken by the finished inbox sees it.
                        connection.clientGone()
                        connection.inbox.finish()
                    }
                    while let part = try? await connection.inbox.next() {
                        guard case .head(let head) = part else { continue }
                        connection.beginRequest()
                        let exchange = ProxyExchange(context: context, connection: connection, outbound: outbound, head: head)
                        let reusable = await exchange.run()
                        guard connection.endRequest(), reusable else { break }
                    }
                    group.cancelAll()
                }
            }
        } catch {
            logger.trace("client connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func unregister(_ connection: ClientConnection) {
        let waiters = registry.withLockedValue { registry -> [CheckedContinuation<Void, Never>] in
            registry.connections.removeValue(forKey: ObjectIdentifier(connection))
            guard registry.connections.isEmpty else { return [] }
            defer { registry.emptyWaiters = [:] }
            return Array(registry.emptyWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// True once no connection is left, false if `timeout` passed first.
    private func waitUntilNoConnections(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.noConnections() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Returns true when no connection is left, false if cancelled first.
    private func noConnections() async -> Bool {
        let id = registry.withLockedValue { registry -> Int in
            registry.nextWaiter += 1
            return registry.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = registry.withLockedValue { registry -> Bool in
                    if registry.connections.isEmpty || Task.isCancelled { return true }
                    registry.emptyWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            registry.withLockedValue { $0.emptyWaiters.removeValue(forKey: id) }?.resume()
        }
        return registry.withLockedValue { $0.connections.isEmpty }
    }

    // MARK: Admin

    private static func adminReply(
        _ head: HTTPRequestHead, metrics: RecorderMetrics, sink: any InteractionSink, context: RecorderContext
    ) -> AdminServer.Reply {
        let path = head.uri.prefix { $0 != "?" }
        switch path {
        case "/metrics":
            let text = PrometheusText.render(metrics.snapshot(queueDepth: sink.queueDepth))
            return .init(status: .ok, contentType: PrometheusText.contentType, body: text)
        case "/healthz":
            if context.isDraining {
                return .init(status: .serviceUnavailable, contentType: "text/plain; charset=utf-8", body: "draining\n")
            }
            return .init(status: .ok, contentType: "text/plain; charset=utf-8", body: "ok\n")
        default:
            return .init(status: .notFound, contentType: "text/plain; charset=utf-8", body: "not found\n")
        }
    }
}
