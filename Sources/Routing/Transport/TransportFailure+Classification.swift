import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

extension TransportFailure {
    /// What an HTTP client or socket error means to the router.
    ///
    /// - `timeout`: a deadline of the transport itself passed (connect, TLS handshake, pool wait).
    /// - `connection`: no connection could be made (refused, unreachable, DNS).
    /// - `reset`: the connection broke once made: an RST, or a close before the response was
    ///   complete (a truncated chunked body, a close before any head). After the head every
    ///   unrecognised error counts as a reset, because the response is cut either way.
    public init(classifying error: any Error, headReceived: Bool) {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .getConnectionFromPoolTimeout,
                .tlsHandshakeTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout:
                self = .timeout
            case .remoteConnectionClosed, .bodyLengthMismatch, .uncleanShutdown:
                self = .reset
            default:
                self = headReceived ? .reset : .connection
            }
            return
        }
        if let error = error as? IOError {
            self = Self(errno: error.errnoCode, headReceived: headReceived)
            return
        }
        if let error = error as? NIOConnectionError {
            let causes = error.connectionErrors.map(\.error) + [error.dnsAError, error.dnsAAAAError].compactMap { $0 }
            let timedOut = causes.contains {
                if case ChannelError.connectTimeout = $0 { return true }
                return ($0 as? IOError)?.errnoCode == ETIMEDOUT
            }
            self = timedOut ? .timeout : .connection
            return
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: self = .timeout
            case .connectPending, .unknownLocalAddress:
                self = .connection
            default: self = headReceived ? .reset : .connection
            }
            return
        }
        if error is HTTPParserError {
            // The bytes stopped making sense mid-response (typically a body cut short).
            self = .reset
            return
        }
        self = headReceived ? .reset : .connection
    }

    private init(errno: CInt, headReceived: Bool) {
        switch errno {
        case ECONNRESET, EPIPE, ECONNABORTED:
            self = .reset
        case ETIMEDOUT:
            self = .timeout
        case ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, ENETDOWN, EHOSTDOWN:
            self = .connection
        default:
            self = headReceived ? .reset : .connection
        }
    }
}
