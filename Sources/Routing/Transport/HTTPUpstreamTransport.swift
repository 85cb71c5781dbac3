import AsyncHTTPClient
import Logging
import NIOCore

/// The router's upstream I/O over real HTTP: one shared `HTTPClient` whose connections are pooled
/// per host, each exchange streamed event by event as the bytes arrive.
///
/// Streams are handed on one SSE block at a time (`.frame`), bodies in the chunks they arrive in
/// (`.body`); nothing is buffered beyond the block being assembled. Connection failures become
/// `.failure(.reset | .timeout | .connection)`, so a reset after the head is never mistaken for a
/// clean end. Cancelling the task waiting in `next()`, or calling `cancel()`, drops the connection.
public final class HTTPUpstreamTransport: UpstreamTransport {
    /// How the shared client connects and pools connections.
    public struct Settings: Sendable {
        /// Longest wait for a connection to be made (TCP, and TLS where the URL asks for it).
        public var connectTimeout: Duration
        /// Connections kept per upstream host. A stream holds its connection for its whole length,
        /// so this bounds concurrent streams to one host before requests queue for a connection.
        public var maxConnectionsPerHost: Int
        /// How long an unused pooled connection stays open.
        public var idleConnectionTimeout: Duration

        public init(connectTimeout: Duration = .seconds(10), maxConnectionsPerHost: Int = 512, idleConnectionTimeout: Duration = .seconds(60)) {
            self.connectTimeout = connectTimeout
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.idleConnectionTimeout = idleConnectionTimeout
        }
    }

    private let client: HTTPClient
    private let logger: Logger

    /// Makes the shared client on `eventLoopGroup` (the process-wide NIO group by default). Call
    /// `shutdown()` once no exchange is running any more.
    public init(settings: Settings = Settings(), eventLoopGroup: any EventLoopGroup = HTTPClient.defaultEventLoopGroup, logger: Logger = Logger(label: "tapedeck.routing.http")) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: TimeAmount(settings.connectTimeout))
        configuration.connectionPool = .init(
            idleTimeout: TimeAmount(settings.idleConnectionTimeout),
            concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maxConnectionsPerHost)
        // The router decides about retries; a refused connection must reach it at once instead of
        // being retried here with backoff until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Provider calls are POSTs with bodies: a redirect is an answer to report, not to follow.
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
        self.logger = logger
    }

    /// Closes the pooled connections; exchanges still running fail.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func send(_ request: UpstreamRequest) -> UpstreamEvents {
        let exchange = HTTPUpstreamExchange(client: client, request: request, logger: logger)
        return UpstreamEvents(next: { await exchange.next() }, cancel: { exchange.cancel() })
    }
}

extension TimeAmount {
    /// The same span in NIO's nanosecond representation (clamped to what it can hold).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = .nanoseconds(overflow ? .max : nanos.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue)
    }
}
