import Dialects

/// A response as the cassette holds it, already in the client's dialect and mode: what the
/// replay server would send with no fault at all. Faults turn it into a `WirePlan`.
public enum CleanResponse: Hashable, Sendable {
    /// A streamed (SSE) response: head, then frames at their recorded offsets.
    case stream(CleanStream)
    /// A non-stream response: head and whole body at the recorded time.
    case body(CleanBody)

    /// A streamed response from its parts.
    public static func stream(
        status: Int = 200, headers: [HTTPField], frames: [Frame], end: StreamEnd = .finish
    ) -> CleanResponse {
        .stream(CleanStream(status: status, headers: headers, frames: frames, end: end))
    }

    /// A non-stream response from its parts.
    public static func body(
        status: Int = 200, headers: [HTTPField], bytes: [UInt8], offsetMicros: Int64 = 0
    ) -> CleanResponse {
        .body(CleanBody(status: status, headers: headers, bytes: bytes, offsetMicros: offsetMicros))
    }

    /// True for a streamed response.
    public var isStream: Bool {
        if case .stream = self { return true }
        return false
    }
}

/// A streamed response: every frame is one SSE block as recorded (keep-alives included).
public struct CleanStream: Hashable, Sendable {
    public var status: Int
    /// Recorded headers; framing headers (`content-length`, `transfer-encoding`, …) are dropped
    /// when planned, since the executor sends streams chunked.
    public var headers: [HTTPField]
    public var frames: [Frame]
    /// How the recorded stream ended; a faithful replay ends the same way.
    public var end: StreamEnd

    public init(status: Int = 200, headers: [HTTPField], frames: [Frame], end: StreamEnd = .finish) {
        self.status = status
        self.headers = headers
        self.frames = frames
        self.end = end
    }
}

/// A non-stream response: the whole body, sent at once when it arrived in the recording.
public struct CleanBody: Hashable, Sendable {
    public var status: Int
    /// Recorded headers; `content-length` is always set to the length actually planned.
    public var headers: [HTTPField]
    public var bytes: [UInt8]
    /// When the response arrived, in microseconds from the request's start (scaled by pacing).
    public var offsetMicros: Int64

    public init(status: Int = 200, headers: [HTTPField], bytes: [UInt8], offsetMicros: Int64 = 0) {
        self.status = status
        self.headers = headers
        self.bytes = bytes
        self.offsetMicros = offsetMicros
    }
}

/// How a recorded stream ended at the wire, so that replaying a recorded incident reproduces it.
public enum StreamEnd: String, Hashable, Sendable, CaseIterable {
    /// The response ended properly (final chunk).
    case finish
    /// The connection closed before the response ended (a recorded truncation).
    case close
    /// The connection was reset (a recorded RST).
    case reset
    /// Nothing more came (a recorded stall or timeout).
    case hang

    /// The plan step that ends a response this way.
    var step: WirePlan.Step {
        switch self {
        case .finish: return .finish
        case .close: return .close
        case .reset: return .reset
        case .hang: return .hang
        }
    }
}
