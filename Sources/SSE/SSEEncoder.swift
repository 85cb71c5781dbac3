/// Writes events and comments in event-stream syntax, for streams Tapedeck synthesizes.
///
/// Recorded frames are never re-encoded: their `raw` bytes are replayed as they were.
public struct SSEEncoder: Sendable {
    /// The line terminator to write: `\n` (most providers) or `\r\n` (Gemini, sse-starlette).
    public var lineEnding: String
    /// Whether to write the `event:` line for `message` events; OpenAI Chat and Gemini never do.
    public var namesMessageEvents: Bool

    public init(lineEnding: String = "\n", namesMessageEvents: Bool = false) {
        self.lineEnding = lineEnding
        self.namesMessageEvents = namesMessageEvents
    }

    /// The bytes of one event block, blank line included.
    public func encode(_ event: SSEEvent) -> [UInt8] {
        // Built as bytes: this runs for every event a router or replay server writes.
        let ending = Array(lineEnding.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(event.data.utf8.count + 16)
        func line(_ field: String, _ value: some Collection<UInt8>) {
            bytes.append(contentsOf: field.utf8)
            bytes.append(contentsOf: value)
            bytes.append(contentsOf: ending)
        }
        if event.type != "message" || namesMessageEvents { line("event: ", event.type.utf8) }
        if let id = event.id { line("id: ", id.utf8) }
        if let retry = event.retry { line("retry: ", String(retry).utf8) }
        Self.forEachLine(of: event.data) { line("data: ", $0) }
        bytes.append(contentsOf: ending)
        return bytes
    }

    /// The bytes of a comment block (a keep-alive), blank line included.
    public func comment(_ text: String) -> [UInt8] {
        Array(":\(text)\(lineEnding)\(lineEnding)".utf8)
    }

    /// The exact bytes of parsed frames, concatenated.
    public static func encode(_ frames: [SSEFrame]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frames.reduce(0) { $0 + $1.raw.count })
        for frame in frames { bytes.append(contentsOf: frame.raw) }
        return bytes
    }

    /// Calls `body` with each line of data split at every CR, LF or CRLF, as a parser would
    /// rejoin it with LF.
    private static func forEachLine(of data: String, _ body: (Substring.UTF8View) -> Void) {
        let utf8 = data.utf8
        var start = utf8.startIndex
        var index = start
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x0A || byte == 0x0D {
                body(data[start..<index].utf8)
                let next = utf8.index(after: index)
                index = byte == 0x0D && next < utf8.endIndex && utf8[next] == 0x0A ? utf8.index(after: next) : next
                start = index
            } else {
                index = utf8.index(after: index)
            }
        }
        body(data[start..<utf8.endIndex].utf8)
    }
}
