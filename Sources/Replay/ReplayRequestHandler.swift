import Dialects
import Logging
import NIOCore
import NIOHTTP1

/// Reads requests off one connection and runs one exchange at a time for them.
///
/// It keeps reading while a response is going out (NIO's pipelining helper would stop reading),
/// because reading is how a client that goes away is noticed during a pause or a hang.
/// Pipelined requests wait their turn here.
final class ReplayRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Pending {
        case request(ReceivedRequest)
        case tooLarge(HTTPVersion)
    }

    private let connection: WireConnection
    private let registry: ConnectionRegistry
    private let exchange: ReplayExchange
    private let maxBodyBytes: Int
    private let logger: Logger

    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// Set once a request was too large: the rest of the input is ignored and the connection closes.
    private var refusing = false
    private var pending: [Pending] = []
    private var exchangeRunning = false

    /// Requests a client may send ahead while a response is still going out.
    static let maxPipelinedRequests = 16

    init(
        connection: WireConnection, registry: ConnectionRegistry, exchange: ReplayExchange, maxBodyBytes: Int,
        logger: Logger
    ) {
        self.connection = connection
        self.registry = registry
        self.exchange = exchange
        self.maxBodyBytes = maxBodyBytes
        var logger = logger
        logger[metadataKey: "connection"] = "\(connection.id)"
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }), declared > maxBodyBytes {
                refuse(head, context: context)
                return
            }
            // Answer `expect: 100-continue` only when no response is in progress, so the interim
            // head cannot land in the middle of another response.
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }),
                !exchangeRunning, pending.isEmpty
            {
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(let buffer):
            guard let head else { return }
            if body.count + buffer.readableBytes > maxBodyBytes {
                refuse(head, context: context)
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            self.head = nil
            let request = ReplayRequest(
                id: registry.nextRequestID(),
                connectionID: connection.id,
                method: head.method.rawValue,
                path: head.uri,
                headers: head.headers.map { HTTPField($0.name.lowercased(), $0.value) },
                body: body
            )
            body = []
            guard pending.count < Self.maxPipelinedRequests else {
                // Only a misbehaving client queues this many; holding them all would grow without bound.
                logger.warning("too many pipelined requests", metadata: ["limit": "\(Self.maxPipelinedRequests)"])
                connection.closeNow(cause: .misbehavingClient)
                return
            }
            // The route only: a query may carry an API key (Gemini's `?key=`).
            logger.debug(
                "replay request received",
                metadata: ["request": "\(request.id)", "method": "\(request.method)", "path": "\(request.route)"]
            )
            pending.append(
                .request(
                    ReceivedRequest(
                        request: request, version: head.version, keepAlive: head.isKeepAlive,
                        receivedAt: .now
                    )
                )
            )
            startNext(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending.removeAll()
        connection.interrupt()
        // A running exchange still reports; the connection stays registered until it has, so a
        // stop can wait for it.
        if !exchangeRunning { registry.remove(connection) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Read errors (a client's RST, say) end the connection; the exchange notices and reports.
        logger.debug("replay connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func refuse(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        logger.warning("replay request body too large", metadata: ["limit": "\(maxBodyBytes)"])
        refusing = true
        self.head = nil
        body = []
        pending.append(.tooLarge(head.version))
        startNext(context: context)
    }

    private func startNext(context: ChannelHandlerContext) {
        guard !exchangeRunning, context.channel.isActive, !pending.isEmpty else { return }
        switch pending.removeFirst() {
        case .tooLarge(let version):
            sendTooLarge(version: version, context: context)
        case .request(let received):
            exchangeRunning = true
            connection.beginExchange()
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let exchange = self.exchange
            let connection = self.connection
            let task = Task {
                await exchange.run(received, on: connection)
                eventLoop.execute { bound.value.handler.exchangeEnded(context: bound.value.context) }
            }
            connection.attach(task)
        }
    }

    private func exchangeEnded(context: ChannelHandlerContext) {
        exchangeRunning = false
        let keepOpen = connection.endExchange()
        // Checked on the connection, not the context: once closed, the handler may be leaving the pipeline.
        guard connection.isActive else {
            registry.remove(connection)
            return
        }
        guard keepOpen else {
            connection.closeNow(cause: .serverStopped)
            return
        }
        startNext(context: context)
    }

    private func sendTooLarge(version: HTTPVersion, context: ChannelHandlerContext) {
        let text = "tapedeck replay: request body larger than \(maxBodyBytes) bytes\n"
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: "\(text.utf8.count)")
        headers.add(name: "connection", value: "close")
        let head = HTTPResponseHead(version: version, status: .payloadTooLarge, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        let connection = self.connection
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            connection.closeNow(cause: .plan)
        }
    }
}
