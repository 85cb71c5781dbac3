/// Everything `tapedeck record` is told: where to listen, where to forward, and how to record.
public struct RecorderConfiguration: Sendable {
    /// Host and port for clients; port 0 picks a free one.
    public var listenHost: String
    public var listenPort: Int
    /// Host and port for `/metrics` and `/healthz`; nil for none.
    public var adminHost: String?
    public var adminPort: Int
    public var routes: RouteTable
    /// Tags put on every recorded interaction.
    public var tags: [String]
    /// The request header naming a session (lowercase); its value groups interactions.
    public var sessionHeader: String
    /// How long after a conversation's last interaction a new one still joins its session, when
    /// no session header is sent.
    public var sessionWindow: Duration
    /// How long the upstream may stay silent (before its head, or between chunks while the client
    /// keeps up) before the exchange ends as `timeout`.
    public var idleTimeout: Duration
    /// How much of one request or response body is kept for the cassette; the relay goes on beyond it.
    public var maxCapturedBytes: Int
    /// Idle upstream connections kept per host for reuse.
    public var maxIdleConnectionsPerHost: Int
    /// A PEM file of extra certificate authorities trusted for `https` upstreams.
    public var upstreamTrustRootsFile: String?

    public init(
        listenHost: String = "127.0.0.1", listenPort: Int = 8787, adminHost: String? = nil, adminPort: Int = 8790,
        routes: RouteTable, tags: [String] = [], sessionHeader: String = "x-tapedeck-session",
        sessionWindow: Duration = .seconds(30), idleTimeout: Duration = .seconds(600),
        maxCapturedBytes: Int = 64 << 20, maxIdleConnectionsPerHost: Int = 256, upstreamTrustRootsFile: String? = nil
    ) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.adminHost = adminHost
        self.adminPort = adminPort
        self.routes = routes
        self.tags = tags
        self.sessionHeader = sessionHeader.lowercased()
        self.sessionWindow = sessionWindow
        self.idleTimeout = idleTimeout
        self.maxCapturedBytes = maxCapturedBytes
        self.maxIdleConnectionsPerHost = maxIdleConnectionsPerHost
        self.upstreamTrustRootsFile = upstreamTrustRootsFile
    }
}
