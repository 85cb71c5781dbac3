import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS

/// One HTTP/1.1 connection to an upstream, used by one exchange at a time and kept for the next
/// when its response ended cleanly.
///
/// A task owns the channel for its whole life (NIO's scoped `executeThenClose`): it reads response
/// parts into a small inbox, so the socket is read no faster than the exchange relays, and parts
/// that arrived before the upstream closed or reset are all delivered before the failure.
final class UpstreamConnection: Sendable {
    let channel: any Channel
    /// A few parts at most: enough to relay what arrived together in one write, little to hold
    /// for a client that reads slowly.
    private let inbox = AsyncInbox<HTTPClientResponsePart>(capacity: 8)
    private let writer = NIOLockedValueBox<NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>?>(nil)
    private let idleSince = NIOLockedValueBox<NIODeadline>(.now())

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects (TLS when `tls` is given) and starts the owning task.
    static func open(
        host: String, port: Int, tls: NIOSSLContext?, eventLoop: any EventLoop, connectTimeout: TimeAmount
    ) async throws -> UpstreamConnection {
        let serverHostname = host.isIPAddress ? nil : host
        let handshake = NIOLockedValueBox<EventLoopFuture<Void>?>(nil)
        let asyncChannel = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            // Small reads keep what a slow client leaves buffered here small.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 4096, maximum: 16384))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                        let waiter = HandshakeWaiter(promise: channel.eventLoop.makePromise())
                        handshake.withLockedValue { $0 = waiter.promise.futureResult }
                        try channel.pipeline.syncOperations.addHandler(waiter)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2)))
                }
            }
        // A TLS failure (untrusted certificate, wrong name) is a failure to connect, not a cut.
        do {
            try await handshake.withLockedValue({ $0 })?.get()
        } catch {
            asyncChannel.channel.close(promise: nil)
            throw error
        }
        let connection = UpstreamConnection(channel: asyncChannel.channel)
        await withCheckedContinuation { (ready: CheckedContinuation<Void, Never>) in
            Self.startOwner(on: eventLoop) {
                do {
                    try await asyncChannel.executeThenClose { inbound, outbound in
                        connection.writer.withLockedValue { $0 = outbound }
                        ready.resume()
                        do {
                            for try await part in inbound {
                                guard await connection.inbox.push(part) else { break }
                            }
                            connection.inbox.finish()
                        } catch {
                            connection.inbox.finish(throwing: error)
                        }
                    }
                } catch {
                    // Closing failed after the reader ended; the inbox already says why.
                }
                connection.inbox.finish()
            }
        }
        return connection
    }

    /// Runs the task owning the channel on the channel's own loop (where its reads arrive).
    private static func startOwner(on eventLoop: any EventLoop, _ body: @escaping @Sendable () async -> Void) {
        if #available(macOS 15.0, *) {
            Task(executorPreference: EventLoopTaskExecutor(eventLoop: eventLoop)) { await body() }
        } else {
            Task { await body() }
        }
    }

    /// Sends one part of the request, waiting while the socket cannot take more.
    func write(_ part: HTTPClientRequestPart) async throws {
        guard let writer = writer.withLockedValue({ $0 }) else { throw ChannelError.ioOnClosedChannel }
        try await writer.write(part)
    }

    /// The next response part; nil when the upstream closed the connection cleanly.
    func next() async throws -> HTTPClientResponsePart? {
        try await inbox.next()
    }

    /// The next response part if it already arrived; never waits.
    func nextIfAvailable() -> HTTPClientResponsePart? {
        inbox.nextIfAvailable()
    }

    /// Whether the connection can carry another exchange: open, and nothing unasked-for arrived.
    var isUsable: Bool { channel.isActive && !inbox.isFinished && !inbox.hasBuffered }

    /// When the connection went back to the pool.
    var idleStart: NIODeadline {
        get { idleSince.withLockedValue { $0 } }
        set { idleSince.withLockedValue { $0 = newValue } }
    }

    /// Closes the connection (the owning task then ends).
    func close() {
        channel.close(promise: nil)
    }
}

extension String {
    /// Whether this is an IPv4 or IPv6 literal (TLS sends no server name for those).
    var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self, port: 0)) != nil
    }
}

/// Reports the end of the TLS handshake, or the error or close that prevented it, then steps aside.
private final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny

    let promise: EventLoopPromise<Void>
    // Event-loop confined, like every handler's state.
    private var completed = false

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    private func complete(_ result: Result<Void, any Error>) {
        guard !completed else { return }
        completed = true
        promise.completeWith(result)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            complete(.success(()))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(ChannelError.ioOnClosedChannel))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        complete(.failure(ChannelError.ioOnClosedChannel))
    }
}
