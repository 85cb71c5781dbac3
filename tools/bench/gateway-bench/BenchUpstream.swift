import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The in-process upstream: answers every request with the fixture stream, one write and flush
/// per SSE block, at full speed or with a fixed gap between blocks, and notes when it sent each
/// text-bearing block of each request (keyed by the request's `x-tapedeck-bench-id`).
final class BenchUpstream: @unchecked Sendable {
    let frames: [ByteBuffer]
    /// For every block: whether it carries a piece of text.
    let carriesText: [Bool]
    private let lock = NSLock()
    private var pacing: TimeAmount?
    private var sent: [String: [ContinuousClock.Instant]] = [:]
    private var channel: (any Channel)?

    init(frames: [[UInt8]], gap: TimeAmount?) {
        self.frames = frames.map { ByteBuffer(bytes: $0) }
        self.carriesText = frames.map(TextFrames.carriesText)
        self.pacing = gap
    }

    /// The gap between blocks (nil: full speed); set between runs, so one upstream (and the
    /// gateways configured with its port) serves every run.
    var gap: TimeAmount? {
        get { lock.withLock { pacing } }
        set { lock.withLock { pacing = newValue } }
    }

    var port: Int { channel?.localAddress?.port ?? 0 }

    func start(group: any EventLoopGroup) async throws {
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StreamHandler(upstream: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async {
        try? await channel?.close()
    }

    fileprivate func record(_ id: String, at instant: ContinuousClock.Instant) {
        lock.withLock { sent[id, default: []].append(instant) }
    }

    /// When each text-bearing block of request `id` was sent.
    func sentTimes(_ id: String) -> [ContinuousClock.Instant] {
        lock.withLock { sent.removeValue(forKey: id) ?? [] }
    }
}

/// Serves one connection's requests.
private final class StreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let upstream: BenchUpstream
    private var id = ""

    init(upstream: BenchUpstream) {
        self.upstream = upstream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            id = head.headers.first(name: "x-tapedeck-bench-id") ?? ""
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/event-stream")
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            send(from: 0, context: context)
        }
    }

    private func send(from index: Int, context: ChannelHandlerContext) {
        var index = index
        while index < upstream.frames.count {
            if upstream.carriesText[index] { upstream.record(id, at: .now) }
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(upstream.frames[index]))), promise: nil)
            index += 1
            if let gap = upstream.gap, index < upstream.frames.count {
                let next = index
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: gap) {
                    let (handler, context) = loopBound.value
                    handler.send(from: next, context: context)
                }
                return
            }
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// Finds the blocks a client sees text in, the same way for the fixture and the gateway's output.
enum TextFrames {
    private static let marker = Array("\"content\":".utf8)

    /// True when the block has a non-empty `"content":"…"` delta (a space after the colon allowed,
    /// as Python's JSON writer puts one there).
    static func carriesText<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8, Bytes.Index == Int {
        guard bytes.count > marker.count else { return false }
        var index = bytes.startIndex
        let last = bytes.endIndex - marker.count
        while index < last {
            if bytes[index] == marker[0] && bytes[index..<(index + marker.count)].elementsEqual(marker) {
                var value = index + marker.count
                while value < bytes.endIndex && bytes[value] == UInt8(ascii: " ") { value += 1 }
                guard value + 1 < bytes.endIndex, bytes[value] == UInt8(ascii: "\"") else { return false }
                return bytes[value + 1] != UInt8(ascii: "\"")
            }
            index += 1
        }
        return false
    }
}
