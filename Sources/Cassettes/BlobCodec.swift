import Dialects

/// The byte layout of stored blobs: a one-byte format tag, then the payload.
///
/// Tag 1 is zlib (its header names any preset dictionary). An empty input is stored as an empty
/// blob. Frame lists are first serialized by `encodeFrames`: a header of varints (count, then
/// per frame the offset delta and length) followed by all frame bytes back to back, so zlib sees
/// the stream's text contiguous, exactly as it crossed the wire.
enum BlobCodec {
    static let zlibTag: UInt8 = 1

    static func compress(_ bytes: [UInt8], dictionary: [UInt8]?) throws -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        return [zlibTag] + (try Compression.deflate(bytes, dictionary: dictionary))
    }

    static func decompress(_ blob: [UInt8], expectedSize: Int?) throws -> [UInt8] {
        guard let tag = blob.first else {
            if let expectedSize, expectedSize != 0 { throw CompressionError.sizeMismatch(expected: expectedSize, actual: 0) }
            return []
        }
        guard tag == zlibTag else { throw BlobFormatError.unknownTag(tag) }
        return try Compression.inflate(Array(blob.dropFirst()), dictionaries: CompressionDictionary.all, expectedSize: expectedSize)
    }

    static func encodeFrames(_ frames: [Frame]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(frames.count * 4 + frames.reduce(0) { $0 + $1.bytes.count } + 8)
        appendVarint(UInt64(frames.count), to: &out)
        var previous: Int64 = 0
        for frame in frames {
            appendVarint(zigzag(frame.offsetMicros &- previous), to: &out)
            appendVarint(UInt64(frame.bytes.count), to: &out)
            previous = frame.offsetMicros
        }
        for frame in frames { out.append(contentsOf: frame.bytes) }
        return out
    }

    static func decodeFrames(_ bytes: [UInt8]) throws -> [Frame] {
        var index = 0
        let count = try readVarint(bytes, &index)
        guard count <= UInt64(bytes.count) else { throw BlobFormatError.malformedFrameList }
        var offsets: [Int64] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(Int(count))
        lengths.reserveCapacity(Int(count))
        var previous: Int64 = 0
        var total = 0
        for _ in 0..<count {
            previous = previous &+ unzigzag(try readVarint(bytes, &index))
            let length = try readVarint(bytes, &index)
            guard length <= UInt64(bytes.count) else { throw BlobFormatError.malformedFrameList }
            offsets.append(previous)
            lengths.append(Int(length))
            total += Int(length)
        }
        guard bytes.count - index == total else { throw BlobFormatError.malformedFrameList }
        var frames: [Frame] = []
        frames.reserveCapacity(Int(count))
        for (offset, length) in zip(offsets, lengths) {
            frames.append(Frame(offsetMicros: offset, bytes: Array(bytes[index..<(index + length)])))
            index += length
        }
        return frames
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
