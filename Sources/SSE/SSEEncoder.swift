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
        var text = ""
        if event.type != "message" || namesMessageEvents {
            text += "event: \(event.type)\(lineEnding)"
        }
        if let id = event.id { text += "id: \(id)\(lineEnding)" }
        if let retry = event.retry { text += "retry: \(retry)\(lineEnding)" }
        for line in Self.lines(of: event.data) {
            text += "data: \(line)\(lineEnding)"
        }
        text += lineEnding
        return Array(text.utf8)
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

    /// Splits data at every CR, LF or CRLF, as a parser would rejoin it with LF.
    private static func lines(of data: String) -> [Substring] {
        var result: [Substring] = []
        var start = data.startIndex
        var index = start
        while index < data.endIndex {
            let character = data[index]
            if character == "\n" || character == "\r" || character == "\r\n" {
                result.append(data[start..<index])
                index = data.index(after: index)
                start = index
            } else {
                index = data.index(after: index)
            }
        }
        result.append(data[start..<data.endIndex])
        return result
    }
}
