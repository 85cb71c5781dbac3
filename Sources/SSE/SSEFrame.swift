/// One dispatched server-sent event, as a WHATWG-conforming client would see it.
public struct SSEEvent: Sendable, Hashable {
    /// The event type; `message` when the stream named none.
    public var type: String
    /// The data lines joined with `\n`, without the final newline.
    public var data: String
    /// The last event id in effect when this event was dispatched.
    public var id: String?
    /// A `retry` value given in this event's block, in milliseconds.
    public var retry: Int?

    public init(type: String = "message", data: String, id: String? = nil, retry: Int? = nil) {
        self.type = type
        self.data = data
        self.id = id
        self.retry = retry
    }
}

/// One block of an event stream exactly as it crossed the wire: every byte up to and including
/// the blank line that ended it, and what a client makes of those bytes.
///
/// Concatenating the `raw` bytes of every frame a parser produced reproduces its input byte for
/// byte, keep-alive comments, blank lines and line-ending style included.
public struct SSEFrame: Sendable, Hashable {
    /// The exact bytes of this block, line terminators included.
    public var raw: [UInt8]
    /// The event this block dispatched, or nil for comment-only blocks, stray blank lines and
    /// blocks without data.
    public var event: SSEEvent?
    /// The text after `:` of every comment line in this block.
    public var comments: [String]
    /// False only for a trailing block the stream ended before its blank line; clients discard it.
    public var isTerminated: Bool

    public init(raw: [UInt8], event: SSEEvent?, comments: [String] = [], isTerminated: Bool = true) {
        self.raw = raw
        self.event = event
        self.comments = comments
        self.isTerminated = isTerminated
    }

    /// True for blocks that carry no event, only comments or blank lines (keep-alives).
    public var isKeepAlive: Bool { event == nil && isTerminated }
}
