import AsyncHTTPClient
import Dialects
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// What arrives for one HTTP request, in arrival order.
public enum HTTPResponseEvent: Sendable {
    case head(status: Int, headers: [HTTPField])
    case body([UInt8])
    /// The response ended properly.
    case end
    /// The exchange failed; every body part received before the failure came first.
    case failure(any Error)
}

/// One HTTP request whose response is handed on piece by piece, in order, failures last.
///
/// Built on AsyncHTTPClient's delegate API rather than its async body sequence: when a
/// connection closes mid-body, the async sequence throws and drops body parts it had already
/// received (seen on 1.25: a stream cut after four events reached the reader with one or two),
/// while the delegate is told of every part before the error. A replay tool cannot lose bytes
/// that crossed the wire.
public struct HTTPEventStream: Sendable {
    public let events: AsyncStream<HTTPResponseEvent>
    private let task: HTTPClient.Task<Void>

    /// Starts the request; iterating `events` reads the response. Cancelling the iterating task
    /// (or calling `cancel()`) aborts the request and closes its connection.
    public init(client: HTTPClient, method: HTTPMethod = .POST, url: String, headers: [HTTPField], body: [UInt8],
                deadline: NIODeadline? = nil, logger: Logger) throws {
        var request = try HTTPClient.Request(url: url, method: method)
        for field in headers { request.headers.add(name: field.name, value: field.value) }
        request.body = .bytes(body)
        let (events, continuation) = AsyncStream.makeStream(of: HTTPResponseEvent.self, bufferingPolicy: .unbounded)
        let delegate = EventDelegate(continuation: continuation)
        let task = client.execute(request: request, delegate: delegate, deadline: deadline, logger: logger)
        continuation.onTermination = { termination in
            if case .cancelled = termination { task.cancel() }
        }
        self.events = events
        self.task = task
    }

    /// Aborts the request.
    public func cancel() { task.cancel() }
}

/// Forwards AsyncHTTPClient's delegate callbacks into the event stream.
private final class EventDelegate: HTTPClientResponseDelegate, Sendable {
    typealias Response = Void
    private let continuation: AsyncStream<HTTPResponseEvent>.Continuation
    private let finished = NIOLockedValueBox(false)

    init(continuation: AsyncStream<HTTPResponseEvent>.Continuation) {
        self.continuation = continuation
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        continuation.yield(.head(status: Int(head.status.code), headers: head.headers.map { HTTPField($0.name.lowercased(), $0.value) }))
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        continuation.yield(.body(Array(buffer.readableBytesView)))
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {
        finish(.failure(error))
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        finish(.end)
    }

    private func finish(_ last: HTTPResponseEvent) {
        let first = finished.withLockedValue { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        continuation.yield(last)
        continuation.finish()
    }
}
