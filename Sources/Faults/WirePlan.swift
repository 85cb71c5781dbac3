import Dialects

/// What the replay server does on one connection, step by step: the pure result of applying a
/// fault to a response, carried out at the wire by `Replay` and by nothing else.
public struct WirePlan: Hashable, Sendable {
    public enum Step: Hashable, Sendable {
        /// Send the status line and headers. A `content-length` header means a fixed-length body;
        /// without one the body is sent with chunked transfer encoding.
        case head(status: Int, headers: [HTTPField])
        /// Wait this long (already scaled by the replay speed) before the next step.
        case pause(microseconds: Int64)
        /// Send these bytes now, as one write (one chunk when chunked).
        case write([UInt8])
        /// End the response properly (final chunk when chunked).
        case finish
        /// Close the connection without ending the response (no final chunk): a truncation.
        case close
        /// Abort with a TCP RST (SO_LINGER 0), as a crashed or killed upstream does.
        case reset
        /// Send nothing more and keep the connection open until the client gives up.
        case hang
    }

    public var steps: [Step]

    public init(steps: [Step]) {
        self.steps = steps
    }
}
