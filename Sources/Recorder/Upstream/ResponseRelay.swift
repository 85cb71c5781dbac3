import Cassettes
import NIOCore
import NIOHTTP1

/// Relays one response on the event loop its upstream and client connections share, from the
/// upstream connection's handler: the head goes to the client as soon as it is decoded, and what
/// each socket read brings of the body is written as one buffer with one flush when the read
/// ends, then fed to the capture; while the client's socket is backed up, the upstream is read no
/// further. No task runs per part: the exchange learns of the head (to record it) and of the end.
///
/// Event-loop confined once started (the upstream connection's handler drives it).
final class ResponseRelay: @unchecked Sendable {
    /// How the response ended.
    enum End: Sendable {
        /// The upstream ended the body; `delivered` tells whether the client's socket took its end.
        case finished(delivered: Bool)
        /// The upstream connection failed.
        case failed(any Error)
        /// The upstream closed the connection before the end of the response.
        case closed
        /// A part out of order: a second head, or body before the head (a broken upstream).
        case outOfOrder
        /// The client connection failed or closed.
        case clientGone
    }

    private enum State {
        case awaitingHead
        case relaying
        /// The end was written; the outcome comes with that write's completion.
        case ending
        case done
    }

    let client: any Channel
    /// The exchange's capture, handed back when the relay ended.
    private(set) var capture: StreamCapture
    /// The head as the client got it, once it came.
    private(set) var clientHead: ClientResponseHead?
    /// Whether the upstream said its connection may carry another request.
    private(set) var upstreamKeepAlive = false
    private let start: ContinuousClock.Instant
    private let control: ExchangeControl
    private let metrics: RecorderMetrics
    private let translate: @Sendable (HTTPResponseHead) -> ClientResponseHead
    private let headPromise: EventLoopPromise<ResponseHead?>
    private let done: EventLoopPromise<End>
    private var state = State.awaitingHead
    private var pending: [ByteBuffer] = []
    /// The head was written but not flushed yet (it goes out with the first body bytes).
    private var headUnflushed = false
    private var waitingOnUpstream = false
    /// Whether the client's socket is backed up (the upstream must not be read meanwhile).
    private(set) var holdsReads = false
    /// Tells the upstream handler it may read again.
    var resumeReads: () -> Void = {}
    /// Tells the upstream handler the relay is over.
    var onFinish: () -> Void = {}

    /// `translate` makes the client's head from the upstream's.
    init(
        client: any Channel, capture: StreamCapture, start: ContinuousClock.Instant, control: ExchangeControl,
        metrics: RecorderMetrics, translate: @escaping @Sendable (HTTPResponseHead) -> ClientResponseHead
    ) {
        self.client = client
        self.capture = capture
        self.start = start
        self.control = control
        self.metrics = metrics
        self.translate = translate
        self.headPromise = client.eventLoop.makePromise()
        self.done = client.eventLoop.makePromise()
    }

    /// Completes with the head as recorded once it was sent to the client, or nil when the relay
    /// ended without one.
    var headSent: EventLoopFuture<ResponseHead?> { headPromise.futureResult }

    /// Completes with how the response ended.
    var ended: EventLoopFuture<End> { done.futureResult }

    /// Whether the response is over: later parts are not the relay's.
    var isFinished: Bool { state == .ending || state == .done }

    /// A response part from the upstream.
    func receive(_ part: HTTPClientResponsePart) {
        switch (state, part) {
        case (.awaitingHead, .head(let head)):
            guard !ClientResponseHead.isInterim(head) else { return }
            relayHead(head)
        case (.awaitingHead, .body), (.awaitingHead, .end):
            // The decoder never gives these before a head; an upstream that did is broken.
            finish(.outOfOrder)
        case (.relaying, .body(let chunk)):
            stopWaiting()
            pending.append(chunk)
        case (.relaying, .end):
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
        case (.relaying, .head):
            flush()
            finish(.outOfOrder)
        case (.ending, _), (.done, _):
            break
        }
    }

    /// The socket read ended: relay what it brought, then wait on the upstream (or the client).
    func readComplete() {
        flush()
        guard !isFinished, !holdsReads, !waitingOnUpstream else { return }
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

    /// Sends the head to the client (flushed with the read's body bytes) and tells the exchange.
    private func relayHead(_ upstreamHead: HTTPResponseHead) {
        // Waiting for the head may have begun outside the relay (when the request went out).
        waitingOnUpstream = false
        control.endWaiting()
        let translated = translate(upstreamHead)
        let recorded = ResponseHead(
            status: Int(upstreamHead.status.code), headers: translated.recordedHeaders, offsetMicros: offset())
        capture.receiveHead(status: recorded.status, headers: recorded.headers, at: recorded.offsetMicros ?? 0)
        clientHead = translated
        upstreamKeepAlive = upstreamHead.isKeepAlive
        state = .relaying
        guard client.isActive else { return finish(.clientGone) }
        let written = client.eventLoop.makePromise(of: Void.self)
        client.write(HTTPServerResponsePart.head(translated.head), promise: written)
        written.futureResult.whenFailure { _ in self.finish(.clientGone) }
        headUnflushed = true
        headPromise.succeed(recorded)
    }

    private func offset() -> Int64 { (ContinuousClock.now - start).microseconds }

    private func stopWaiting() {
        guard waitingOnUpstream else { return }
        waitingOnUpstream = false
        control.endWaiting()
    }

    /// Ends the relay while it still relays (after the end was written, only that write decides).
    private func finish(_ end: End) {
        guard !isFinished else { return }
        complete(end)
    }

    private func complete(_ end: End) {
        guard state != .done else { return }
        state = .done
        stopWaiting()
        if headUnflushed {
            headUnflushed = false
            client.flush()
        }
        let onFinish = onFinish
        // Drops the handler's references, so nothing keeps the capture alive after the exchange.
        resumeReads = {}
        self.onFinish = {}
        onFinish()
        headPromise.succeed(nil)  // no-op when the head came
        done.succeed(end)
    }

    /// Writes what is pending as one buffer, flushes (the head too, if it waits), and captures it.
    private func flush() {
        guard state == .relaying else { return }
        guard !pending.isEmpty else {
            if headUnflushed {
                headUnflushed = false
                client.flush()
            }
            return
        }
        headUnflushed = false
        let batch = pending.count == 1 ? pending[0] : Self.joined(pending, allocator: client.allocator)
        pending.removeAll(keepingCapacity: true)
        let arrival = offset()
        guard client.isActive else {
            _ = capture.receive(batch.readableBytesView, at: arrival)
            finish(.clientGone)
            return
        }
        let part = HTTPServerResponsePart.body(.byteBuffer(batch))
        if client.isWritable {
            // No promise per read: a failed write closes the client connection, which aborts the
            // exchange (and the upstream with it).
            client.writeAndFlush(part, promise: nil)
        } else {
            let written = client.eventLoop.makePromise(of: Void.self)
            client.writeAndFlush(part, promise: written)
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
