import Dialects
import Foundation

/// One request to a deployment, fully built: the transport only has to put it on the wire.
public struct UpstreamRequest: Sendable, Hashable {
    public var deploymentID: String
    public var provider: Provider
    /// The wire format of the body and of the answer.
    public var dialect: Dialect
    /// Absolute URL, query included (Gemini puts `alt=sse` there).
    public var url: String
    /// Lowercase names; authentication, `content-type`, and forwarded `x-tapedeck-*` headers.
    public var headers: [HTTPField]
    /// JSON body.
    public var body: [UInt8]
    public var stream: Bool

    public init(
        deploymentID: String, provider: Provider, dialect: Dialect, url: String, headers: [HTTPField], body: [UInt8],
        stream: Bool
    ) {
        self.deploymentID = deploymentID
        self.provider = provider
        self.dialect = dialect
        self.url = url
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    /// The method; every provider call the router makes is a POST.
    public var method: String { "POST" }
}

/// How a connection failed below HTTP.
public enum TransportFailure: String, Sendable, Hashable, Codable {
    /// The peer reset the connection (TCP RST) or closed it mid-response.
    case reset
    /// The transport's own deadline passed (connect timeout and the like).
    case timeout
    /// No connection could be made.
    case connection
}

/// What arrives from an upstream, in order: a head, then bytes, then an end or a failure.
public enum UpstreamEvent: Sendable, Hashable {
    case head(status: Int, headers: [HTTPField])
    /// Bytes of an event stream, split wherever the transport split them.
    case frame([UInt8])
    /// Bytes of a plain (non-stream) body.
    case body([UInt8])
    /// The response ended properly at the HTTP level (which says nothing about its terminator).
    case end
    case failure(TransportFailure)
}

/// The answer to one upstream request: a pull-based sequence of events.
///
/// `next()` returns nil once the exchange is over, and must return promptly (nil) when the calling
/// task is cancelled: the router cancels a wait when a deadline passes. `cancel()` tells the
/// transport the router has stopped listening, so it can drop the connection.
public struct UpstreamEvents: AsyncSequence, Sendable {
    public typealias Element = UpstreamEvent

    private let pull: @Sendable () async -> UpstreamEvent?
    private let stop: @Sendable () -> Void

    public init(next: @escaping @Sendable () async -> UpstreamEvent?, cancel: @escaping @Sendable () -> Void = {}) {
        self.pull = next
        self.stop = cancel
    }

    /// Events from an `AsyncStream` (which ends its iteration when the waiting task is cancelled).
    public init(_ stream: AsyncStream<UpstreamEvent>, cancel: @escaping @Sendable () -> Void = {}) {
        let box = StreamIteratorBox(stream.makeAsyncIterator())
        self.init(next: { await box.next() }, cancel: cancel)
    }

    /// A fixed list of events, for scripted upstreams.
    public init(_ events: [UpstreamEvent]) {
        var continuation: AsyncStream<UpstreamEvent>.Continuation!
        let stream = AsyncStream<UpstreamEvent>(bufferingPolicy: .unbounded) { continuation = $0 }
        for event in events { continuation.yield(event) }
        continuation.finish()
        self.init(stream)
    }

    /// The next event, or nil when the exchange is over.
    public func next() async -> UpstreamEvent? { await pull() }

    /// Stops the exchange; further `next()` calls may return nil.
    public func cancel() { stop() }

    public func makeAsyncIterator() -> Iterator { Iterator(events: self) }

    public struct Iterator: AsyncIteratorProtocol {
        let events: UpstreamEvents
        public mutating func next() async -> UpstreamEvent? { await events.next() }
    }
}

/// Holds a stream iterator so a `@Sendable` closure can advance it. The router never calls `next()`
/// concurrently on one exchange, which is what makes the unchecked conformance sound.
private final class StreamIteratorBox: @unchecked Sendable {
    private var iterator: AsyncStream<UpstreamEvent>.Iterator

    init(_ iterator: AsyncStream<UpstreamEvent>.Iterator) {
        self.iterator = iterator
    }

    func next() async -> UpstreamEvent? { await iterator.next() }
}

/// Where the router's upstream I/O goes: an HTTP client in the gateway, a replay server in
/// process, or a scripted fake in tests.
public protocol UpstreamTransport: Sendable {
    /// Starts an exchange. Nothing needs to happen before the first `next()`: connecting counts
    /// against the router's deadlines only if it happens while the router awaits an event.
    func send(_ request: UpstreamRequest) -> UpstreamEvents
}
