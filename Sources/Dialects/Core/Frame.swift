import SSE

/// One unit of a response as it crossed the wire: when it arrived, relative to the request's
/// start on a monotonic clock, and its exact bytes (an SSE block, or a piece of a plain body).
public struct Frame: Hashable, Sendable, Codable {
    /// Microseconds from the start of the request.
    public var offsetMicros: Int64
    public var bytes: [UInt8]

    public init(offsetMicros: Int64, bytes: [UInt8]) {
        self.offsetMicros = offsetMicros
        self.bytes = bytes
    }
}

extension Frame {
    /// Frames for parsed SSE blocks, all at one offset (for fixtures without timing).
    public static func frames(from sseFrames: [SSEFrame], spacingMicros: Int64 = 0) -> [Frame] {
        sseFrames.enumerated().map { index, frame in
            Frame(offsetMicros: Int64(index) * spacingMicros, bytes: frame.raw)
        }
    }
}

/// How an interaction ended, as the recorder saw it or the replay server produced it.
public enum Ending: String, Hashable, Sendable, Codable, CaseIterable {
    /// The full response arrived, terminator included.
    case complete
    /// The provider answered with an HTTP error status.
    case httpError = "http_error"
    /// The stream carried a provider error event after a 200.
    case inBandError = "in_band_error"
    /// The connection closed before the dialect's terminator or the end of the body.
    case truncated
    /// The connection was reset (TCP RST).
    case reset
    /// Nothing (more) arrived within the deadline.
    case timeout
    /// The client went away before the response ended.
    case clientAborted = "client_aborted"
    /// The recorder died (killed, crashed) while the response was still arriving: only the
    /// request, and the response head when it had come, are known.
    case interrupted
}
