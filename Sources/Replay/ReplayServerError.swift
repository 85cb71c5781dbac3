/// Failures of the replay server itself, each naming where it happened.
public enum ReplayServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The listening socket could not be opened.
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let reason):
            "the replay server cannot listen on \(host):\(port): \(reason)"
        }
    }
}
