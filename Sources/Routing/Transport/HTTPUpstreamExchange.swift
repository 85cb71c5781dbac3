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
/// The router never calls `next()` concurrently on one exchange, so the body iterator and the SSE
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

    private enum Phase {
        /// Nothing has been sent yet.
        case ready
        /// A `next()` call is waiting on the network.
        case busy
        case receiving(HTTPClientResponse.Body.AsyncIterator, Framing)
        case over
    }

    /// What a `next()` call has to do, decided under the lock.
    private enum Step {
        case deliver(UpstreamEvent)
        case finished
        case start
        case read(HTTPClientResponse.Body.AsyncIterator, Framing)
    }

    /// How long the client may wait for a head. The router's own deadlines (first token, whole
    /// attempt) are far shorter and cancel the wait; this only keeps NIO's timer finite.
    private static let headDeadline = TimeAmount.hours(24)

    private let client: HTTPClient
    private let request: UpstreamRequest
    private let logger: Logger
    private let lock = NSLock()
    private var phase = Phase.ready
    private var cancelled = false
    /// Frames completed by one chunk beyond the first, handed out by the following calls.
    private var queued: [UpstreamEvent] = []
    private var queuedIndex = 0
    private var parser = SSEParser()

    init(client: HTTPClient, request: UpstreamRequest, logger: Logger) {
        self.client = client
        self.request = request
        self.logger = logger
    }

    /// The next event, or nil when the exchange is over or the calling task was cancelled.
    func next() async -> UpstreamEvent? {
        let step: Step = lock.withLock {
            if cancelled { return .finished }
            if queuedIndex < queued.count {
                defer { queuedIndex += 1 }
                return .deliver(queued[queuedIndex])
            }
            switch phase {
            case .ready:
                phase = .busy
                return .start
            case .receiving(let iterator, let framing):
                phase = .busy
                return .read(iterator, framing)
            case .busy, .over:
                return .finished
            }
        }
        switch step {
        case .deliver(let event): return event
        case .finished: return nil
        case .start: return await start()
        case .read(let iterator, let framing): return await read(iterator, framing)
        }
    }

    /// Stops listening: the body iterator is dropped, which closes an unfinished response's connection.
    func cancel() {
        let dropped: Phase = lock.withLock {
            cancelled = true
            queued = []
            queuedIndex = 0
            guard case .receiving = phase else { return .over }
            defer { phase = .over }
            return phase
        }
        // The iterator is released here, outside the lock.
        _ = dropped
    }

    private func start() async -> UpstreamEvent? {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .POST
        for field in request.headers { outgoing.headers.add(name: field.name, value: field.value) }
        outgoing.body = .bytes(request.body)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, deadline: .now() + Self.headDeadline, logger: logger)
        } catch {
            return end(with: error, headReceived: false)
        }
        let status = Int(response.status.code)
        let framing: Framing = request.stream && (200..<300).contains(status) ? .sse : .body
        let headers = response.headers.map { HTTPField($0.name.lowercased(), $0.value) }
        return hold(response.body.makeAsyncIterator(), framing, deliver: [.head(status: status, headers: headers)])
    }

    private func read(_ iterator: HTTPClientResponse.Body.AsyncIterator, _ framing: Framing) async -> UpstreamEvent? {
        var iterator = iterator
        while true {
            let chunk: ByteBuffer?
            do {
                chunk = try await iterator.next()
            } catch {
                return end(with: error, headReceived: true)
            }
            guard let chunk else {
                // A cancelled wait ends the sequence too; that is not the upstream's clean end.
                if Task.isCancelled { return end(events: []) }
                var events: [UpstreamEvent] = []
                if framing == .sse {
                    // An unterminated last block is handed on as it is; the reader decides what it means.
                    events = parser.finish().map { .frame($0.raw) }
                }
                return end(events: events + [.end])
            }
            let bytes = Array(chunk.readableBytesView)
            switch framing {
            case .body:
                return hold(iterator, framing, deliver: [.body(bytes)])
            case .sse:
                let frames = parser.feed(bytes)
                // A chunk that completes no block is kept by the parser; read on.
                if frames.isEmpty { continue }
                return hold(iterator, framing, deliver: frames.map { .frame($0.raw) })
            }
        }
    }

    /// Parks the iterator for the next call and returns the first of `events`, queuing the rest.
    private func hold(_ iterator: HTTPClientResponse.Body.AsyncIterator, _ framing: Framing, deliver events: [UpstreamEvent]) -> UpstreamEvent? {
        let kept: Bool = lock.withLock {
            guard !cancelled else {
                phase = .over
                return false
            }
            phase = .receiving(iterator, framing)
            queued = events
            queuedIndex = 1
            return true
        }
        return kept ? events.first : nil
    }

    /// Ends the exchange, handing out `events` (nil when there are none or it was cancelled).
    private func end(events: [UpstreamEvent]) -> UpstreamEvent? {
        lock.withLock {
            phase = .over
            guard !cancelled, !events.isEmpty else { return nil }
            queued = events
            queuedIndex = 1
            return events[0]
        }
    }

    private func end(with error: any Error, headReceived: Bool) -> UpstreamEvent? {
        if Task.isCancelled || error is CancellationError { return end(events: []) }
        let failure = TransportFailure(classifying: error, headReceived: headReceived)
        logger.debug(
            "upstream exchange failed",
            metadata: ["deployment": "\(request.deploymentID)", "failure": "\(failure.rawValue)", "error": "\(String(reflecting: type(of: error)))"])
        return end(events: [.failure(failure)])
    }
}
