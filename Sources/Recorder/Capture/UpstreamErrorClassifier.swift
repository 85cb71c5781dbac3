import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps what the upstream connection threw to how the upstream ended. Cancellations are not its
/// business: the exchange knows why it cancelled.
enum UpstreamErrorClassifier {
    /// A failure while connecting (before anything was sent).
    static func connectTermination(for error: any Error) -> UpstreamTermination {
        if let error = error as? ChannelError, case .connectTimeout = error { return .timeout }
        if let error = error as? IOError, error.errnoCode == ETIMEDOUT { return .timeout }
        return .connectFailed
    }

    /// A failure on an established connection.
    static func termination(for error: any Error) -> UpstreamTermination {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNRESET, EPIPE: return .reset
            case ETIMEDOUT: return .timeout
            default: return .closedEarly
            }
        }
        if let error = error as? NIOSSLError, case .uncleanShutdown = error { return .closedEarly }
        if error is HTTPParserError { return .closedEarly }
        if let error = error as? ChannelError, case .connectTimeout = error { return .timeout }
        return .closedEarly
    }
}
