import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Latencies and byte counts gathered by all clients of one run.
final class BenchSamples: Sendable {
    private let state = NIOLockedValueBox((latencies: [UInt64](), first: [UInt64](), bytes: 0, finished: 0, failed: 0))
    private let live = NIOLockedValueBox(0)

    /// Body bytes received so far by every client, finished or not.
    var received: Int { live.withLockedValue { $0 } }

    func receivedMore(_ count: Int) { live.withLockedValue { $0 += count } }

    /// One stream's frame latencies; its first frame's also count apart (it crosses the head's path).
    func add(latencies: [UInt64], bytes: Int) {
        state.withLockedValue {
            $0.latencies += latencies
            if let first = latencies.first { $0.first.append(first) }
            $0.bytes += bytes
        }
    }

    func finish(failed: Bool) { state.withLockedValue { failed ? ($0.failed += 1) : ($0.finished += 1) } }

    var snapshot: (latencies: [UInt64], first: [UInt64], bytes: Int, finished: Int, failed: Int) {
        state.withLockedValue { $0 }
    }
}

/// One streaming client: posts a chat request and measures each frame's latency from the `t` the
/// upstream wrote into it. A slow client reads a little at a time instead.
enum BenchClient {
    /// Runs a stream to its end; returns when the response ended or failed.
    static func stream(port: Int, samples: BenchSamples, slowRead: TimeAmount? = nil) async {
        let done = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelOption(.autoRead, value: slowRead == nil)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: slowRead == nil ? 65536 : 2048))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            FrameTimer(samples: samples, done: done, slowRead: slowRead))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"bench"}],"stream":true}"#
            let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/chat/completions", headers: [
                "host": "127.0.0.1", "content-type": "application/json", "content-length": "\(body.utf8.count)",
                "authorization": "Bearer sk-bench-not-a-real-key-000000000000",
            ])
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            if slowRead != nil { channel.read() }
            try? await done.futureResult.get()
            try? await channel.close()
        } catch {
            samples.finish(failed: true)
            done.succeed()
        }
    }
}

private final class FrameTimer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    let samples: BenchSamples
    let done: EventLoopPromise<Void>
    let slowRead: TimeAmount?
    private var pending: [UInt8] = []
    private var latencies: [UInt64] = []
    private var bytes = 0
    private var ended = false
    private static let marker = Array("{\"t\":".utf8)

    init(samples: BenchSamples, done: EventLoopPromise<Void>, slowRead: TimeAmount?) {
        self.samples = samples
        self.done = done
        self.slowRead = slowRead
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: break
        case .body(let buffer):
            let now = DispatchTime.now().uptimeNanoseconds
            bytes += buffer.readableBytes
            samples.receivedMore(buffer.readableBytes)
            guard slowRead == nil else { return }
            pending += buffer.readableBytesView
            scan(now: now)
        case .end:
            finish(failed: false)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard let slowRead, !ended else { return }
        context.eventLoop.assumeIsolated().scheduleTask(in: slowRead) { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) { finish(failed: !ended) }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(failed: true)
        context.close(promise: nil)
    }

    private func finish(failed: Bool) {
        guard !ended else { return }
        ended = true
        samples.add(latencies: latencies, bytes: bytes)
        samples.finish(failed: failed)
        done.succeed()
    }

    /// Takes the `t` of every complete frame in `pending`.
    private func scan(now: UInt64) {
        var start = 0
        var index = 0
        while index + 1 < pending.count {
            if pending[index] == 0x0A && pending[index + 1] == 0x0A {
                if let sent = Self.timestamp(in: pending[start..<index]) { latencies.append(now &- sent) }
                start = index + 2
                index = start
            } else {
                index += 1
            }
        }
        pending.removeFirst(start)
    }

    private static func timestamp(in frame: ArraySlice<UInt8>) -> UInt64? {
        guard let at = frame.firstRange(of: marker) else { return nil }
        var value: UInt64 = 0
        var index = at.upperBound
        while index < frame.endIndex, frame[index] >= 0x30, frame[index] <= 0x39 {
            value = value * 10 + UInt64(frame[index] - 0x30)
            index += 1
        }
        return value
    }
}
