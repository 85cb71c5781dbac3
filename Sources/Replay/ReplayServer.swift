import HTTPServerSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 server that answers every request by carrying out, byte for byte and pause for
/// pause, the `WirePlan` its responder returns.
///
/// It is the mechanism only: what to answer is the responder's business. Normal finishes keep
/// the connection alive; `close`, `reset` and `hang` plans end it, as a failing upstream would.
public final class ReplayServer: Sendable {
    /// Where to listen and how much to accept.
    public struct Configuration: Sendable {
        /// The interface to bind; loopback unless told otherwise.
        public var host: String
        /// The port to bind; 0 picks a free one, read back from `ReplayServer.port`.
        public var port: Int
        /// Requests with a larger body are answered 413 and the connection closed.
        public var maxRequestBodyBytes: Int

        public init(host: String = "127.0.0.1", port: Int = 8788, maxRequestBodyBytes: Int = 32 * 1024 * 1024) {
            self.host = host
            self.port = port
            self.maxRequestBodyBytes = maxRequestBodyBytes
        }
    }

    /// The port actually bound.
    public let port: Int
    /// The host the server was asked to bind.
    public let host: String

    private let serverChannel: any Channel
    private let registry: ConnectionRegistry
    private let stopState = NIOLockedValueBox(StopState())
    private let logger: Logger

    /// Whether a stop has begun, whether it has completed, and who waits for it.
    private struct StopState {
        var requested = false
        var completed = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private init(
        host: String, port: Int, serverChannel: any Channel, registry: ConnectionRegistry, logger: Logger
    ) {
        self.host = host
        self.port = port
        self.serverChannel = serverChannel
        self.registry = registry
        self.logger = logger
    }

    /// Binds and starts serving; returns once the socket is listening.
    ///
    /// - Parameters:
    ///   - sleeper: waits out the plans' pauses; inject one to drive time in tests.
    ///   - eventLoopGroup: not shut down by `stop()`; the shared NIO group by default.
    public static func start(
        configuration: Configuration = Configuration(),
        responder: any ReplayResponder,
        sleeper: any WireSleeper = .continuous,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(ReplayServerError) -> ReplayServer {
        let registry = ConnectionRegistry()
        let exchange = ReplayExchange(responder: responder, executor: WirePlanExecutor(sleeper: sleeper, logger: logger))
        let maxBodyBytes = configuration.maxRequestBodyBytes
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Frames must leave the moment they are written, not when Nagle decides.
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let connection = registry.open(channel) else {
                        channel.close(promise: nil)
                        return
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: false, withErrorHandling: false)
                    try channel.pipeline.syncOperations.addHandler(MalformedRequestResponder())
                    try channel.pipeline.syncOperations.addHandler(
                        ReplayRequestHandler(
                            connection: connection, registry: registry, exchange: exchange,
                            maxBodyBytes: maxBodyBytes, logger: logger))
                }
            }
        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw .cannotListen(host: configuration.host, port: configuration.port, reason: "\(error)")
        }
        let port = serverChannel.localAddress?.port ?? configuration.port
        logger.info("replay server listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        return ReplayServer(
            host: configuration.host, port: port, serverChannel: serverChannel, registry: registry, logger: logger)
    }

    /// Stops accepting, ends every connection and returns once every exchange has reported.
    ///
    /// Idle and hung connections are closed at once. Responses in progress may finish within
    /// `gracePeriod`; whatever is still running then is cut off and reports `serverStopped`.
    /// Calling it again waits for the first stop.
    public func stop(gracePeriod: Duration = .zero) async {
        let first = stopState.withLockedValue { state in
            defer { state.requested = true }
            return !state.requested
        }
        guard first else {
            await waitUntilStopped()
            return
        }
        logger.info("replay server stopping", metadata: ["port": "\(port)"])
        try? await serverChannel.close().get()

        let connections = registry.beginStop()
        let responding = connections.filter { connection in
            switch connection.beginStop() {
            case .idle, .hung:
                connection.closeNow(cause: .serverStopped)
                return false
            case .responding:
                return true
            }
        }
        if gracePeriod > .zero && !responding.isEmpty {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for connection in responding { await connection.exchange?.value }
                }
                group.addTask { try? await Task.sleep(for: gracePeriod) }
                await group.next()
                // Closing ends the exchanges still running, which lets the first task finish too.
                for connection in responding { connection.closeNow(cause: .serverStopped) }
                group.cancelAll()
            }
        }
        for connection in connections {
            connection.closeNow(cause: .serverStopped)
            await connection.closed()
            await connection.exchange?.value
        }
        logger.info("replay server stopped", metadata: ["port": "\(port)"])
        let waiters = stopState.withLockedValue { state in
            state.completed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once `stop()` has completed, for a command that serves until told to stop.
    public func waitUntilStopped() async {
        await withCheckedContinuation { continuation in
            let stoppedAlready = stopState.withLockedValue { state in
                if state.completed { return true }
                state.waiters.append(continuation)
                return false
            }
            if stoppedAlready { continuation.resume() }
        }
    }
}
