import Dialects
import SSE

/// The byte layout of stored blobs: a one-byte format tag, then the payload.
///
/// Tag 1 is zlib (its header names any preset dictionary). An empty input is stored as an empty
/// blob. Frame lists are first serialized by `encodeFrameParts` (timing first, then all frame
/// bytes back to back, so zlib sees the stream's text contiguous, exactly as it crossed the wire).
enum BlobCodec {
    static let zlibTag: UInt8 = 1

    static func compress(_ bytes: [UInt8], level: Int32 = Compression.defaultLevel, dictionary: [UInt8]?) throws -> [UInt8] {
        try compress(parts: [bytes], level: level, dictionary: dictionary)
    }

    /// Parts are compressed in one zlib stream, each in deflate blocks of its own.
    static func compress(parts: [[UInt8]], level: Int32 = Compression.defaultLevel, dictionary: [UInt8]?) throws -> [UInt8] {
        let nonEmpty = parts.filter { !$0.isEmpty }
        guard !nonEmpty.isEmpty else { return [] }
        return [zlibTag] + (try Compression.deflate(parts: nonEmpty, level: level, dictionary: dictionary))
    }

    static func decompress(_ blob: [UInt8], expectedSize: Int?) throws -> [UInt8] {
        guard let tag = blob.first else {
            if let expectedSize, expectedSize != 0 { throw CompressionError.sizeMismatch(expected: expectedSize, actual: 0) }
            return []
        }
        guard tag == zlibTag else { throw BlobFormatError.unknownTag(tag) }
        return try Compression.inflate(Array(blob.dropFirst()), dictionaries: CompressionDictionary.all, expectedSize: expectedSize)
    }

    /// Flag bit: frame lengths are left out because every frame is exactly one event-stream
    /// block (`blockLengths` of the bytes gives them back), the usual case for recorded streams.
    static let implicitLengthsFlag: UInt64 = 1

    static func encodeFrames(_ frames: [Frame]) -> [UInt8] {
        encodeFrameParts(frames).flatMap { $0 }
    }

    /// The serialized frame list in parts to compress as separate deflate blocks: the prefix
    /// (count, flags, delta width), each byte plane of the offset deltas, the lengths (unless
    /// implicit), then all frame bytes. Byte planes let deflate code each plane by its own
    /// statistics (the high planes of millisecond gaps are nearly constant), which brings
    /// timing close to its entropy.
    static func encodeFrameParts(_ frames: [Frame]) -> [[UInt8]] {
        var body: [UInt8] = []
        body.reserveCapacity(frames.reduce(0) { $0 + $1.bytes.count })
        for frame in frames { body.append(contentsOf: frame.bytes) }
        let implicit = !frames.isEmpty && blockLengths(body).elementsEqual(frames.lazy.map { $0.bytes.count })
        var deltas: [UInt64] = []
        deltas.reserveCapacity(frames.count)
        var previous: Int64 = 0
        for frame in frames {
            deltas.append(zigzag(frame.offsetMicros &- previous))
            previous = frame.offsetMicros
        }
        let widest = deltas.max() ?? 0
        let width = widest == 0 ? 0 : (64 - widest.leadingZeroBitCount + 7) / 8
        var prefix: [UInt8] = []
        appendVarint(UInt64(frames.count), to: &prefix)
        appendVarint(implicit ? implicitLengthsFlag : 0, to: &prefix)
        prefix.append(UInt8(width))
        var parts = [prefix]
        for plane in 0..<width {
            parts.append(deltas.map { UInt8(truncatingIfNeeded: $0 >> UInt64(8 * plane)) })
        }
        if !implicit {
            var lengths: [UInt8] = []
            for frame in frames { appendVarint(UInt64(frame.bytes.count), to: &lengths) }
            parts.append(lengths)
        }
        parts.append(body)
        return parts
    }

    static func decodeFrames(_ bytes: [UInt8]) throws -> [Frame] {
        var index = 0
        let count = try readVarint(bytes, &index)
        let flags = try readVarint(bytes, &index)
        guard count <= UInt64(bytes.count), flags & ~implicitLengthsFlag == 0, index < bytes.count else {
            throw BlobFormatError.malformedFrameList
        }
        let width = Int(bytes[index])
        index += 1
        guard width <= 8, bytes.count - index >= width * Int(count) else { throw BlobFormatError.malformedFrameList }
        var offsets: [Int64] = []
        offsets.reserveCapacity(Int(count))
        var previous: Int64 = 0
        for frame in 0..<Int(count) {
            var delta: UInt64 = 0
            for plane in 0..<width { delta |= UInt64(bytes[index + plane * Int(count) + frame]) << UInt64(8 * plane) }
            previous = previous &+ unzigzag(delta)
            offsets.append(previous)
        }
        index += width * Int(count)
        var lengths: [Int] = []
        lengths.reserveCapacity(Int(count))
        if flags & implicitLengthsFlag != 0 {
            lengths = blockLengths(bytes[index...])
        } else {
            for _ in 0..<count {
                let length = try readVarint(bytes, &index)
                guard length <= UInt64(bytes.count) else { throw BlobFormatError.malformedFrameList }
                lengths.append(Int(length))
            }
        }
        guard lengths.count == Int(count), bytes.count - index == lengths.reduce(0, +) else {
            throw BlobFormatError.malformedFrameList
        }
        var frames: [Frame] = []
        frames.reserveCapacity(Int(count))
        for (offset, length) in zip(offsets, lengths) {
            frames.append(Frame(offsetMicros: offset, bytes: Array(bytes[index..<(index + length)])))
            index += length
        }
        return frames
    }

    /// Lengths of the event-stream blocks of `bytes`: each block ends after the line terminator
    /// (CRLF, LF or CR) of an empty line; trailing bytes form a last block. Only this codec uses
    /// the split, on both sides, so it needs to agree with itself, not with any parser.
    static func blockLengths(_ bytes: some Collection<UInt8>) -> [Int] {
        if let lengths = bytes.withContiguousStorageIfAvailable(blockLengths(contiguous:)) { return lengths }
        return Array(bytes).withUnsafeBufferPointer(blockLengths(contiguous:))
    }

    private static func blockLengths(contiguous bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
        var lengths: [Int] = []
        var blockStart = 0
        var index = 0
        var atLineStart = true
        let count = bytes.count
        let raw = bytes.baseAddress.map(UnsafeRawPointer.init)
        while index < count {
            // Sixteen bytes at a time while none of them ends a line.
            if let raw, index + 16 <= count, !ByteLanes.holdsLineEnd(raw, at: index) {
                atLineStart = false
                index += 16
                continue
            }
            let byte = bytes[index]
            index += 1
            // Most bytes are far above CR and LF.
            guard byte <= 0x0D, byte == 0x0A || byte == 0x0D else {
                atLineStart = false
                continue
            }
            if byte == 0x0D && index < count && bytes[index] == 0x0A { index += 1 }
            if atLineStart {
                lengths.append(index - blockStart)
                blockStart = index
            }
            atLineStart = true
        }
        if index > blockStart { lengths.append(index - blockStart) }
        return lengths
    }

    private static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    private static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    private static func readVarint(_ bytes: [UInt8], _ index: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
            if shift > 63 { break }
        }
        throw BlobFormatError.malformedFrameList
    }
}

/// Why a stored blob could not be read.
enum BlobFormatError: Error, Sendable, CustomStringConvertible {
    case unknownTag(UInt8)
    case malformedFrameList

    var description: String {
        switch self {
        case .unknownTag(let tag): return "the blob has an unknown format tag \(tag)"
        case .malformedFrameList: return "the frame list is malformed"
        }
    }
}
