import AsyncHTTPClient
import Dialects
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SSE

/// One request to a deployment over HTTP, read one event per `next()` call: the request goes out on
/// the first call, which returns the head; later calls pull the body as it arrives.
///
/// The router never calls `next()` concurrently on one exchange, so the iterator and the SSE
/// parser are only ever used by one call at a time; the lock guards the hand-over between calls
/// and `cancel()`.
final class HTTPUpstreamExchange: @unchecked Sendable {
    /// How body bytes become events.
    private enum Framing {
        /// A successful stream: one `.frame` per SSE block.
        case sse
        /// Anything else (a body, or an error answer to a stream request): `.body` per chunk.
        case body
    }

    /// How long the client may wait for a head. The router's own deadlines (first token, whole
    /// attempt) are far shorter and cancel the wait; this only keeps NIO's timer finite.
    private static let headDeadline = TimeAmount.hours(24)

    private let client: HTTPClient
    private let request: UpstreamRequest
    private let logger: Logger
    private let lock = NSLock()
    private var stream: HTTPEventStream?
    private var iterator: AsyncStream<HTTPResponseEvent>.Iterator?
    private var framing = Framing.body
    private var headReceived = false
    private var over = false
    private var cancelled = false
    /// Frames completed by one chunk beyond the first, handed out by the following calls.
    private var queued: [UpstreamEvent] = []
    private var parser = SSEParser()

    init(client: HTTPClient, request: UpstreamRequest, logger: Logger) {
        self.client = client
        self.request = request
        self.logger = logger
    }

    /// The next event, or nil when the exchange is over or the calling task was cancelled.
    func next() async -> UpstreamEvent? {
        let ready: UpstreamEvent?? = lock.withLock {
            if cancelled { return .some(nil) }
            if !queued.isEmpty { return .some(queued.removeFirst()) }
            if over { return .some(nil) }
            return .none
        }
        if let ready { return ready }
        if stream == nil {
            do {
                let started = try HTTPEventStream(
                    client: client, url: request.url, headers: request.headers, body: request.body,
                    deadline: .now() + Self.headDeadline, logger: logger)
                lock.withLock {
                    stream = started
                    iterator = started.events.makeAsyncIterator()
                }
            } catch {
                return finish(with: error)
            }
        }
        guard var iterator = lock.withLock({ iterator }) else { return nil }
        while true {
            guard let event = await iterator.next() else {
                // The iterating task was cancelled: that is not the upstream's end.
                lock.withLock { over = true }
                return nil
            }
            lock.withLock { self.iterator = iterator }
            switch event {
            case .head(let status, let headers):
                headReceived = true
                framing = request.stream && (200..<300).contains(status) ? .sse : .body
                return .head(status: status, headers: headers)
            case .body(let bytes):
                switch framing {
                case .body:
                    return .body(bytes)
                case .sse:
                    let frames = parser.feed(bytes)
                    // A chunk that completes no block is kept by the parser; read on.
                    if frames.isEmpty { continue }
                    return deliver(frames.map { .frame($0.raw) })
                }
            case .end:
                // An unterminated last block is handed on as it is; the reader decides what it means.
                let rest = framing == .sse ? parser.finish().map { UpstreamEvent.frame($0.raw) } : []
                lock.withLock { over = true }
                return deliver(rest + [.end])
            case .failure(let error):
                return finish(with: error)
            }
        }
    }

    /// Stops listening: the request is aborted, which closes an unfinished response's connection.
    func cancel() {
        let running: HTTPEventStream? = lock.withLock {
            cancelled = true
            queued = []
            return stream
        }
        running?.cancel()
    }

    /// Returns the first of `events` and queues the rest for the following calls.
    private func deliver(_ events: [UpstreamEvent]) -> UpstreamEvent? {
        lock.withLock {
            guard !cancelled, let first = events.first else { return nil }
            queued.append(contentsOf: events.dropFirst())
            return first
        }
    }

    private func finish(with error: any Error) -> UpstreamEvent? {
        lock.withLock { over = true }
        if Task.isCancelled || error is CancellationError { return nil }
        if let error = error as? HTTPClientError, error == .cancelled { return nil }
        let failure = TransportFailure(classifying: error, headReceived: headReceived)
        logger.debug(
            "upstream exchange failed",
            metadata: ["deployment": "\(request.deploymentID)", "failure": "\(failure.rawValue)", "error": "\(String(reflecting: type(of: error)))"])
        // Frames parsed before the failure were delivered already; an unterminated tail is not a frame.
        return deliver([.failure(failure)])
    }
}
