/// An incremental WHATWG event-stream parser that keeps each frame's exact bytes.
///
/// Feed it transport chunks as they arrive; chunk boundaries carry no meaning, so any split of the
/// same bytes yields the same frames. A carriage return at the very end of the buffered bytes is
/// held back until the next byte (or `finish()`) tells whether a line feed belongs to it.
public struct SSEParser: Sendable {
    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D
    private static let colon: UInt8 = 0x3A
    private static let space: UInt8 = 0x20
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Bytes of the frame being assembled (and any unscanned tail).
    private var buffer: [UInt8] = []
    /// Index in `buffer` where the next unparsed line starts.
    private var lineStart = 0
    /// Index in `buffer` up to which no line terminator was found, so long lines are scanned once.
    private var scanned = 0
    private var bomChecked = false
    private var bomLength = 0

    private var eventType: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var retry: Int?
    private var comments: [String] = []
    private var lastEventID: String?

    public init() {}

    /// Parses one more chunk and returns the frames it completed.
    public mutating func feed<Bytes: Collection>(_ chunk: Bytes) -> [SSEFrame] where Bytes.Element == UInt8 {
        buffer.append(contentsOf: chunk)
        var frames: [SSEFrame] = []
        scan(into: &frames, atEnd: false)
        return frames
    }

    /// Ends the stream: returns the pending block, if any, marked unterminated.
    public mutating func finish() -> [SSEFrame] {
        var frames: [SSEFrame] = []
        scan(into: &frames, atEnd: true)
        if lineStart < buffer.count {
            // A last line without terminator is still a line; its block stays unterminated.
            let bytes = buffer
            bytes.withUnsafeBufferPointer { processLine(UnsafeBufferPointer(rebasing: $0[lineStart...])) }
            lineStart = buffer.count
        }
        if !buffer.isEmpty {
            frames.append(SSEFrame(raw: buffer, event: pendingEvent(), comments: comments, isTerminated: false))
        }
        reset()
        return frames
    }

    /// How many fed bytes the parser holds because no frame has claimed them yet; never more
    /// than the input not yet returned in frames (what fuzz tests check memory against).
    var retainedByteCount: Int { buffer.count }

    /// Convenience: parses a whole stream at once.
    public static func parse<Bytes: Collection>(_ bytes: Bytes) -> [SSEFrame] where Bytes.Element == UInt8 {
        var parser = SSEParser()
        return parser.feed(bytes) + parser.finish()
    }

    private mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        lineStart = 0
        scanned = 0
        clearBlock()
    }

    private mutating func clearBlock() {
        eventType.removeAll(keepingCapacity: true)
        data.removeAll(keepingCapacity: true)
        hasData = false
        retry = nil
        comments = []
    }

    private mutating func scan(into frames: inout [SSEFrame], atEnd: Bool) {
        if !bomChecked {
            let prefix = buffer.prefix(3)
            if prefix.elementsEqual(Self.bom.prefix(prefix.count)) {
                if prefix.count < 3 && !atEnd { return }
                bomLength = prefix.count == 3 ? 3 : 0
            }
            bomChecked = true
            lineStart = bomLength
        }
        var frameEnd = 0
        var index = max(lineStart, scanned)
        let bytes = buffer  // shares storage; lets lines be read while other state changes
        bytes.withUnsafeBufferPointer { all in
            let count = all.count
            let raw = all.baseAddress.map(UnsafeRawPointer.init)
            while index < count {
                // Sixteen bytes at a time while none of them ends a line.
                if let raw, index + 16 <= count, !ByteLanes.holdsLineEnd(raw, at: index) {
                    index += 16
                    continue
                }
                let byte = all[index]
                // Fast path: most bytes are far above CR and LF.
                if byte > Self.cr || (byte != Self.lf && byte != Self.cr) {
                    index += 1
                    continue
                }
                let lineEnd = index
                var next = index + 1
                if byte == Self.cr {
                    if next == count && !atEnd { break }  // a following LF may still arrive
                    if next < count && all[next] == Self.lf { next += 1 }
                }
                if lineEnd == lineStart {
                    frames.append(
                        SSEFrame(
                            raw: Array(all[frameEnd..<next]), event: pendingEvent(), comments: comments))
                    clearBlock()
                    frameEnd = next
                } else {
                    processLine(UnsafeBufferPointer(rebasing: all[lineStart..<lineEnd]))
                }
                lineStart = next
                index = next
            }
        }
        scanned = index
        if frameEnd > 0 {
            buffer.removeFirst(frameEnd)
            lineStart -= frameEnd
            scanned -= frameEnd
        }
    }

    private func pendingEvent() -> SSEEvent? {
        guard hasData else { return nil }
        var payload = data[...]
        if payload.last == Self.lf { payload = payload.dropLast() }
        let type = eventType.isEmpty ? "message" : String(decoding: eventType, as: UTF8.self)
        return SSEEvent(type: type, data: String(decoding: payload, as: UTF8.self), id: lastEventID, retry: retry)
    }

    private mutating func processLine(_ line: UnsafeBufferPointer<UInt8>) {
        if line[0] == Self.colon {
            comments.append(String(decoding: UnsafeBufferPointer(rebasing: line[1...]), as: UTF8.self))
            return
        }
        let colonIndex = line.firstIndex(of: Self.colon)
        let name = UnsafeBufferPointer(rebasing: line[..<(colonIndex ?? line.count)])
        var valueStart = colonIndex.map { $0 + 1 } ?? line.count
        if valueStart < line.count && line[valueStart] == Self.space { valueStart += 1 }
        let value = UnsafeBufferPointer(rebasing: line[valueStart...])
        switch FieldName(name) {
        case .data:
            data.append(contentsOf: value)
            data.append(Self.lf)
            hasData = true
        case .event:
            eventType = Array(value)
        case .id:
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        case .retry:
            if !value.isEmpty && value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) && value.count < 19 {
                retry = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            }
        case .unknown:
            break
        }
    }
}

/// The four field names the WHATWG algorithm acts on; names are case-sensitive.
private enum FieldName {
    case data, event, id, retry, unknown

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        switch bytes.count {
        case 4 where bytes.elementsEqual("data".utf8): self = .data
        case 5 where bytes.elementsEqual("event".utf8): self = .event
        case 2 where bytes.elementsEqual("id".utf8): self = .id
        case 5 where bytes.elementsEqual("retry".utf8): self = .retry
        default: self = .unknown
        }
    }
}
