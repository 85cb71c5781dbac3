import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS

/// One HTTP/1.1 connection to an upstream, used by one exchange at a time and kept for the next
/// when its response ended cleanly.
///
/// A handler on the connection's event loop hands the response, head and body, straight to the
/// client as it is decoded (`ResponseRelay`), read no faster than the client takes it. Parts that
/// come while no exchange relays (an idle pooled connection) wait in a small inbox, which makes
/// the connection unusable. Parts that arrived before the upstream closed or reset are all
/// delivered before the failure.
final class UpstreamConnection: Sendable {
    let channel: any Channel
    /// A few parts at most before reading stops: enough to relay what arrived together in one
    /// write, little to hold for a client that reads slowly.
    private let inbox: AsyncInbox<HTTPClientResponsePart>
    private let feeder: ResponseFeeder
    private let idleSince = NIOLockedValueBox<NIODeadline>(.now())

    private init(channel: any Channel, inbox: AsyncInbox<HTTPClientResponsePart>, feeder: ResponseFeeder) {
        self.channel = channel
        self.inbox = inbox
        self.feeder = feeder
    }

    /// Connects (TLS when `tls` is given).
    static func open(
        host: String, port: Int, tls: NIOSSLContext?, eventLoop: any EventLoop, connectTimeout: TimeAmount
    ) async throws -> UpstreamConnection {
        // An address literal needs no resolver (which would run getaddrinfo on another thread).
        let literal = try? SocketAddress(ipAddress: host, port: port)
        let serverHostname = literal == nil ? host : nil
        let handshake = NIOLockedValueBox<EventLoopFuture<Void>?>(nil)
        let inbox = AsyncInbox<HTTPClientResponsePart>(capacity: 8)
        let feeder = ResponseFeeder(inbox: inbox)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            // Small reads keep what a slow client leaves buffered here small.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 4096, maximum: 16384))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                        let waiter = HandshakeWaiter(promise: channel.eventLoop.makePromise())
                        handshake.withLockedValue { $0 = waiter.promise.futureResult }
                        try channel.pipeline.syncOperations.addHandler(waiter)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(feeder)
                }
            }
        let channel = try await (literal.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: host, port: port)).get()
        // A TLS failure (untrusted certificate, wrong name) is a failure to connect, not a cut.
        do {
            try await handshake.withLockedValue({ $0 })?.get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
        return UpstreamConnection(channel: channel, inbox: inbox, feeder: feeder)
    }

    /// Relays the response through `relay`, from its head on, on the connection's event loop (the
    /// client's too); returns when the response ended. Cancelling closes the upstream connection.
    func relay(_ relay: ResponseRelay) async -> ResponseRelay.End {
        let feeder = feeder
        channel.eventLoop.execute { feeder.startRelay(relay) }
        return await withTaskCancellationHandler {
            (try? await relay.ended.get()) ?? .closed
        } onCancel: { [channel] in
            channel.close(promise: nil)
        }
    }

    /// Sends one part of the request; returns once the socket took it.
    func write(_ part: HTTPClientRequestPart) async throws {
        try await channel.writeAndFlush(part).get()
    }

    /// Whether the connection can carry another exchange: open, and nothing unasked-for arrived.
    var isUsable: Bool { channel.isActive && !inbox.isFinished && !inbox.hasBuffered }

    /// When the connection went back to the pool.
    var idleStart: NIODeadline {
        get { idleSince.withLockedValue { $0 } }
        set { idleSince.withLockedValue { $0 = newValue } }
    }

    /// Closes the connection.
    func close() {
        channel.close(promise: nil)
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

/// Hands one upstream connection's response parts, while an exchange relays, to its
/// `ResponseRelay`, else to its inbox; passes a read request on to the socket only while the relay's
/// client is not backed up (or the inbox has room). An idle pooled connection keeps reading, so
/// the upstream closing it is seen at once.
private final class ResponseFeeder: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let inbox: AsyncInbox<HTTPClientResponsePart>
    // Event-loop confined, like every handler's state.
    private var context: ChannelHandlerContext?
    private var readHeld = false
    /// While set, parts go straight to the client through it instead of the inbox.
    private var relay: ResponseRelay?

    init(inbox: AsyncInbox<HTTPClientResponsePart>) {
        self.inbox = inbox
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let loop = context.eventLoop
        inbox.onRoom { [self] in
            if loop.inEventLoop {
                resumeReading()
            } else {
                loop.execute { self.resumeReading() }
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        inbox.onRoom {}  // the inbox may outlive the channel: no cycle through this handler
    }

    /// Hands the response to `relay`: first what the inbox already holds, then every part as it is read.
    func startRelay(_ relay: ResponseRelay) {
        relay.resumeReads = { [self] in resumeReading() }
        relay.onFinish = { [self] in
            if self.relay === relay { self.relay = nil }
            resumeReading()
        }
        while !relay.isFinished, let part = inbox.nextIfAvailable() {
            relay.receive(part)
        }
        if !relay.isFinished {
            let ending = inbox.ending
            if let failure = ending.failure {
                relay.upstreamFailed(failure)
            } else if ending.finished {
                relay.upstreamClosed()
            } else {
                self.relay = relay
                relay.readComplete()
            }
        }
        resumeReading()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if let relay, !relay.isFinished {
            relay.receive(part)
        } else {
            relay = nil
            inbox.offer(part)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        relay?.readComplete()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        relay?.upstreamFailed(error)
        relay = nil
        inbox.finish(throwing: error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        relay?.upstreamClosed()
        relay = nil
        inbox.finish()
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if let relay, !relay.isFinished {
            guard !relay.holdsReads else {
                readHeld = true
                return
            }
        } else {
            guard inbox.hasRoom() else {
                readHeld = true
                return
            }
        }
        context.read()
    }

    private func resumeReading() {
        guard readHeld, let context else { return }
        readHeld = false
        read(context: context)
    }
}
