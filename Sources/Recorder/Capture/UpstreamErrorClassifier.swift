import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps what the HTTP client threw to how the upstream ended. Cancellations are not its business:
/// the exchange knows why it cancelled.
enum UpstreamErrorClassifier {
    static func termination(for error: any Error, afterHead: Bool) -> UpstreamTermination {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNRESET, EPIPE: return .reset
            case ETIMEDOUT: return .timeout
            default: return afterHead ? .closedEarly : .connectFailed
            }
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .remoteConnectionClosed, .bodyLengthMismatch: return .closedEarly
            case .readTimeout, .connectTimeout, .deadlineExceeded, .writeTimeout: return .timeout
            default: return afterHead ? .closedEarly : .connectFailed
            }
        }
        if error is HTTPParserError { return .closedEarly }
        return afterHead ? .closedEarly : .connectFailed
    }
}
