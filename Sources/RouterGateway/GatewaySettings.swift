/// How the gateway listens and what it accepts.
public struct GatewaySettings: Sendable {
    /// The address to bind; loopback unless told otherwise.
    public var host: String
    /// The port to bind; 0 picks a free one (tests, benchmarks).
    public var port: Int
    /// The largest request body accepted; larger ones get a 413 in the client's dialect.
    public var maxRequestBodyBytes: Int
    /// The `server` response header; nil sends none.
    public var serverName: String?

    public init(host: String = "127.0.0.1", port: Int = 4000, maxRequestBodyBytes: Int = 32 * 1024 * 1024, serverName: String? = "tapedeck") {
        self.host = host
        self.port = port
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.serverName = serverName
    }
}
