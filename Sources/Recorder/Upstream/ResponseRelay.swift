import NIOCore
import NIOHTTP1

/// Relays one response body on the event loop its upstream and client connections share: what a
/// socket read brought is written to the client as one buffer with one flush when the read ends,
/// then fed to the capture; while the client's socket is backed up, the upstream is read no
/// further. No task runs per chunk: the exchange waits only for the end of the body.
///
/// Event-loop confined once started (the upstream connection's handler drives it).
final class BodyRelay: @unchecked Sendable {
    /// How the body ended.
    enum End: Sendable {
        /// The upstream ended the body; `delivered` tells whether the client's socket took its end.
        case finished(delivered: Bool)
        /// The upstream connection failed.
        case failed(any Error)
        /// The upstream closed the connection before the end of the body.
        case closed
        /// A head where body parts were expected.
        case unexpectedHead
        /// The client connection failed or closed.
        case clientGone
    }

    private enum State {
        case relaying
        /// The end was written; the outcome comes with that write's completion.
        case ending
        case done
    }

    let client: any Channel
    /// The exchange's capture, handed back when the relay ended.
    private(set) var capture: StreamCapture
    private let start: ContinuousClock.Instant
    private let control: ExchangeControl
    private let metrics: RecorderMetrics
    private let done: EventLoopPromise<End>
    private var state = State.relaying
    private var pending: [ByteBuffer] = []
    private var waitingOnUpstream = false
    /// Whether the client's socket is backed up (the upstream must not be read meanwhile).
    private(set) var holdsReads = false
    /// Tells the upstream handler it may read again.
    var resumeReads: () -> Void = {}
    /// Tells the upstream handler the relay is over.
    var onFinish: () -> Void = {}

    init(client: any Channel, capture: StreamCapture, start: ContinuousClock.Instant, control: ExchangeControl, metrics: RecorderMetrics) {
        self.client = client
        self.capture = capture
        self.start = start
        self.control = control
        self.metrics = metrics
        self.done = client.eventLoop.makePromise()
    }

    /// Completes with how the body ended.
    var ended: EventLoopFuture<End> { done.futureResult }

    /// Whether the body is over: later parts are not the relay's.
    var isFinished: Bool { state != .relaying }

    /// A response part from the upstream.
    func receive(_ part: HTTPClientResponsePart) {
        guard state == .relaying else { return }
        switch part {
        case .body(let chunk):
            stopWaiting()
            pending.append(chunk)
        case .end:
            flush()
            guard state == .relaying else { return }
            state = .ending
            stopWaiting()
            let written = client.eventLoop.makePromise(of: Void.self)
            client.writeAndFlush(HTTPServerResponsePart.end(nil), promise: written)
            written.futureResult.whenComplete { result in
                guard case .success = result else { return self.complete(.finished(delivered: false)) }
                self.complete(.finished(delivered: true))
            }
        case .head:
            flush()
            finish(.unexpectedHead)
        }
    }

    /// The socket read ended: relay what it brought, then wait on the upstream (or the client).
    func readComplete() {
        flush()
        guard state == .relaying, !holdsReads, !waitingOnUpstream else { return }
        waitingOnUpstream = true
        control.beginWaiting()
    }

    /// The upstream connection failed: what arrived before goes to the client first.
    func upstreamFailed(_ error: any Error) {
        flush()
        finish(.failed(error))
    }

    /// The upstream connection closed.
    func upstreamClosed() {
        flush()
        finish(.closed)
    }

    private func stopWaiting() {
        guard waitingOnUpstream else { return }
        waitingOnUpstream = false
        control.endWaiting()
    }

    /// Ends the relay while it still relays (after the end was written, only that write decides).
    private func finish(_ end: End) {
        guard state == .relaying else { return }
        complete(end)
    }

    private func complete(_ end: End) {
        guard state != .done else { return }
        state = .done
        stopWaiting()
        let onFinish = onFinish
        // Drops the handler's references, so nothing keeps the capture alive after the exchange.
        resumeReads = {}
        self.onFinish = {}
        onFinish()
        done.succeed(end)
    }

    /// Writes what is pending as one buffer, flushes, and captures it.
    private func flush() {
        guard !pending.isEmpty, state == .relaying else { return }
        let batch = pending.count == 1 ? pending[0] : Self.joined(pending, allocator: client.allocator)
        pending.removeAll(keepingCapacity: true)
        let arrival = (ContinuousClock.now - start).microseconds
        guard client.isActive else {
            _ = capture.receive(batch.readableBytesView, at: arrival)
            finish(.clientGone)
            return
        }
        let written = client.eventLoop.makePromise(of: Void.self)
        client.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(batch)), promise: written)
        if client.isWritable {
            written.futureResult.whenFailure { _ in self.finish(.clientGone) }
        } else {
            holdsReads = true
            written.futureResult.whenComplete { result in
                self.holdsReads = false
                guard case .success = result else { return self.finish(.clientGone) }
                guard self.state == .relaying else { return }
                self.readComplete()
                self.resumeReads()
            }
        }
        // Captured once the client has it: parsing does not delay the relay.
        let frames = capture.receive(batch.readableBytesView, at: arrival)
        metrics.relayed(frames: frames, bytes: batch.readableBytes)
    }

    /// Several chunks as one buffer.
    static func joined(_ chunks: [ByteBuffer], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: chunks.reduce(0) { $0 + $1.readableBytes })
        for var chunk in chunks { buffer.writeBuffer(&chunk) }
        return buffer
    }
}
