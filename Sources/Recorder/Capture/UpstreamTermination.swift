/// How the relay of one exchange stopped, as the proxy saw it from both sides.
public enum UpstreamTermination: String, Sendable, Hashable, CaseIterable {
    /// The upstream sent the whole response (the end of its body framing).
    case finished
    /// The upstream closed the connection before the end of its response (or before any head).
    case closedEarly
    /// The upstream connection was reset (TCP RST).
    case reset
    /// The upstream could not be reached: connection refused, name or TLS failure.
    case connectFailed
    /// Nothing arrived from the upstream within the idle timeout.
    case timeout
    /// The client went away; the upstream request was cancelled.
    case clientAborted
    /// The recorder's shutdown deadline cut the exchange.
    case shutdown
}
