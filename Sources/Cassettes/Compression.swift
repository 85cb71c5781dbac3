import CZlib

/// zlib deflate and inflate of whole blobs, optionally primed with a preset dictionary.
///
/// Cassette blobs use the zlib format (RFC 1950): its header carries the Adler-32 of a preset
/// dictionary when one was used, so a blob names the dictionary it needs and stays readable as
/// long as that dictionary is never edited.
public enum Compression {
    /// zlib's default level: on SSE text, level 9 saves well under 1% for about twice the time.
    public static let defaultLevel: Int32 = 6

    /// The zlib-format compression of `input`.
    public static func deflate(_ input: [UInt8], level: Int32 = defaultLevel, dictionary: [UInt8]? = nil) throws -> [UInt8] {
        try deflate(parts: [input], level: level, dictionary: dictionary)
    }

    /// One zlib stream of the parts concatenated, each part ending its own deflate block so it
    /// gets Huffman codes of its own: binary timing data and SSE text compress better apart.
    public static func deflate(parts: [[UInt8]], level: Int32 = defaultLevel, dictionary: [UInt8]? = nil) throws -> [UInt8] {
        var stream = z_stream()
        var status = deflateInit_(&stream, level, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw CompressionError.zlib("deflateInit", status) }
        defer { deflateEnd(&stream) }
        if let dictionary, !dictionary.isEmpty {
            status = dictionary.withUnsafeBufferPointer {
                deflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
            }
            guard status == Z_OK else { throw CompressionError.zlib("deflateSetDictionary", status) }
        }
        let total = parts.reduce(0) { $0 + $1.count }
        var output: [UInt8] = []
        output.reserveCapacity(Int(deflateBound(&stream, UInt(total))) + 16 * parts.count)
        var chunk = [UInt8](repeating: 0, count: max(1 << 14, min(total / 4, 1 << 20)))
        for (index, part) in parts.enumerated() {
            let flush = index == parts.count - 1 ? Z_FINISH : Z_BLOCK
            try part.withUnsafeBufferPointer { inBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = UInt32(inBuffer.count)
                var result: Int32
                repeat {
                    result = chunk.withUnsafeMutableBufferPointer { outBuffer in
                        stream.next_out = outBuffer.baseAddress
                        stream.avail_out = UInt32(outBuffer.count)
                        let code = CZlib.deflate(&stream, flush)
                        output.append(contentsOf: outBuffer[0..<(outBuffer.count - Int(stream.avail_out))])
                        return code
                    }
                    guard result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR else {
                        throw CompressionError.zlib("deflate", result)
                    }
                } while flush == Z_FINISH ? result != Z_STREAM_END : (stream.avail_out == 0 || stream.avail_in > 0)
            }
        }
        stream.next_in = nil
        return output
    }

    /// The bytes a zlib-format blob holds. `dictionaries` are offered when the blob asks for one;
    /// `expectedSize`, when known, sizes the output at once and is checked.
    public static func inflate(
        _ input: [UInt8], dictionaries: [UInt32: [UInt8]] = [:], expectedSize: Int? = nil, windowBits: Int32 = 15
    ) throws -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw CompressionError.zlib("inflateInit", status) }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(min(expectedSize ?? 0, 1 << 26), 1 << 14))
        status = input.withUnsafeBufferPointer { inBuffer -> Int32 in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = UInt32(inBuffer.count)
            var result: Int32 = Z_OK
            repeat {
                result = chunk.withUnsafeMutableBufferPointer { outBuffer -> Int32 in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    let code = CZlib.inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: outBuffer[0..<(outBuffer.count - Int(stream.avail_out))])
                    return code
                }
                if result == Z_NEED_DICT {
                    guard let dictionary = dictionaries[UInt32(stream.adler)] else { return Z_NEED_DICT }
                    result = dictionary.withUnsafeBufferPointer {
                        inflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
                    }
                }
            } while result == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
            return result
        }
        switch status {
        case Z_STREAM_END: break
        case Z_NEED_DICT: throw CompressionError.unknownDictionary(UInt32(stream.adler))
        case Z_OK, Z_BUF_ERROR: throw CompressionError.truncated
        default: throw CompressionError.zlib("inflate", status)
        }
        if let expectedSize, expectedSize != output.count {
            throw CompressionError.sizeMismatch(expected: expectedSize, actual: output.count)
        }
        return output
    }

    /// The bytes of a gzip file (as vcrpy keeps compressed response bodies).
    public static func gunzip(_ input: [UInt8]) throws -> [UInt8] {
        // windowBits 15 + 32: accept a zlib or gzip header, whichever is there.
        try inflate(input, windowBits: 15 + 32)
    }

    /// The Adler-32 checksum zlib uses to name a preset dictionary.
    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.adler32(1, $0.baseAddress, UInt32($0.count))) }
    }

    /// The version of the linked zlib.
    public static var zlibVersionString: String { String(cString: zlibVersion()) }
}

/// How a cassette compresses the blobs it writes.
public struct CompressionSettings: Sendable, Hashable {
    /// zlib level, 1 (fastest) to 9 (smallest).
    public var level: Int32
    /// Whether to prime zlib with the dialect's preset dictionary.
    public var usesDictionaries: Bool

    public init(level: Int32 = Compression.defaultLevel, usesDictionaries: Bool = true) {
        self.level = min(max(level, 1), 9)
        self.usesDictionaries = usesDictionaries
    }
}

/// Why zlib could not compress or decompress a blob.
public enum CompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    case zlib(String, Int32)
    case truncated
    case unknownDictionary(UInt32)
    case sizeMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .zlib(let call, let code): return "zlib \(call) failed with code \(code)"
        case .truncated: return "the compressed data ends early"
        case .unknownDictionary(let id): return "the compressed data needs an unknown preset dictionary \(id)"
        case .sizeMismatch(let expected, let actual):
            return "the data decompressed to \(actual) bytes instead of the recorded \(expected)"
        }
    }
}
