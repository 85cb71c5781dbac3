import Dispatch
import NIOCore
import NIOHTTP1
import NIOPosix

/// What the bench upstream streams for each request.
struct StreamShape: Sendable {
    /// Frames before `[DONE]`.
    var frames: Int
    /// Gap between frames; zero sends as fast as the connection takes them.
    var interval: TimeAmount
    /// Padding per frame, to make frames the size of real chunks.
    var padding: Int
}

/// A loopback SSE server for the benchmark: every frame carries the monotonic time it was written
/// (`"t":NANOS`), so a client in the same process measures each frame's latency.
enum BenchUpstream {
    static func start(shape: StreamShape) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(StreamingHandler(shape: shape))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }
}

private final class StreamingHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let shape: StreamShape
    private var sent = 0
    private var context: ChannelHandlerContext?
    private let pad: String

    init(shape: StreamShape) {
        self.shape = shape
        self.pad = String(repeating: "x", count: shape.padding)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-type": "text/event-stream"])
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        sent = 0
        sendNext(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if shape.interval == .zero && context.channel.isWritable { sendNext(context: context) }
    }

    private func sendNext(context: ChannelHandlerContext) {
        while sent < shape.frames {
            let now = DispatchTime.now().uptimeNanoseconds
            let frame = "data: {\"t\":\(now),\"i\":\(sent),\"p\":\"\(pad)\"}\n\n"
            sent += 1
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: frame)))), promise: nil)
            if shape.interval != .zero {
                let loop = context.eventLoop
                loop.assumeIsolated().scheduleTask(in: shape.interval) { [weak self] in
                    guard let self, let context = self.context else { return }
                    self.sendNext(context: context)
                }
                return
            }
            // As fast as the connection takes it: wait for writability when the buffer is full.
            if !context.channel.isWritable { return }
        }
        if sent == shape.frames {
            sent += 1
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "data: [DONE]\n\n")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
