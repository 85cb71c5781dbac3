import SSE

/// Finds text shaped like a provider credential and masks it, keeping the prefix that tells
/// which kind of key it was: `sk-ant-[REDACTED]`, `AIza[REDACTED]`, `Bearer [REDACTED]`.
public enum SecretScanner {
    /// A key shape: a literal prefix, then at least `minimumLength` token characters.
    struct Shape {
        var prefix: [UInt8]
        /// How much of the prefix to keep visible.
        var keptPrefix: [UInt8]
        var minimumLength: Int
        var caseInsensitivePrefix = false
        /// Characters allowed in the secret part.
        var allowsTokenPunctuation = false
    }

    // Longer prefixes first so `sk-ant-` wins over `sk-`.
    static let shapes: [Shape] = [
        Shape(prefix: Array("sk-ant-".utf8), keptPrefix: Array("sk-ant-".utf8), minimumLength: 20),
        Shape(prefix: Array("sk-proj-".utf8), keptPrefix: Array("sk-proj-".utf8), minimumLength: 20),
        Shape(prefix: Array("sk-".utf8), keptPrefix: Array("sk-".utf8), minimumLength: 20),
        Shape(prefix: Array("AIza".utf8), keptPrefix: Array("AIza".utf8), minimumLength: 30),
        Shape(prefix: Array("AKIA".utf8), keptPrefix: Array("AKIA".utf8), minimumLength: 16),
        Shape(prefix: Array("gsk_".utf8), keptPrefix: Array("gsk_".utf8), minimumLength: 30),
        Shape(prefix: Array("xai-".utf8), keptPrefix: Array("xai-".utf8), minimumLength: 30),
        Shape(prefix: Array("hf_".utf8), keptPrefix: Array("hf_".utf8), minimumLength: 30),
        Shape(prefix: Array("bearer ".utf8), keptPrefix: Array("Bearer ".utf8), minimumLength: 12,
              caseInsensitivePrefix: true, allowsTokenPunctuation: true),
    ]

    static let maskText: [UInt8] = Array(Redactor.marker.utf8)

    /// The bytes with every key-shaped run masked; the same array when nothing matched.
    public static func mask(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { buffer in
            // The usual case, nothing key-shaped, allocates nothing.
            guard var found = nextSecret(in: buffer, from: 0) else { return bytes }
            var output: [UInt8] = []
            output.reserveCapacity(buffer.count)
            var copiedUpTo = 0
            while true {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[copiedUpTo..<found.start]))
                output.append(contentsOf: found.shape.keptPrefix)
                output.append(contentsOf: maskText)
                copiedUpTo = found.end
                guard let next = nextSecret(in: buffer, from: found.end) else { break }
                found = next
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[copiedUpTo...]))
            return output
        }
    }

    /// The text with every key-shaped run masked.
    public static func mask(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let masked = mask(bytes)
        return masked == bytes ? text : String(decoding: masked, as: UTF8.self)
    }

    /// Whether the bytes hold anything key-shaped.
    public static func containsSecret(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { nextSecret(in: $0, from: 0) != nil }
    }

    /// The first key-shaped run at or after `start`: where it starts, its shape and where it ends.
    /// One pass, byte by byte; a shape is tried only where its first two bytes are.
    private static func nextSecret(in bytes: UnsafeBufferPointer<UInt8>, from start: Int)
        -> (start: Int, shape: Shape, end: Int)?
    {
        // Every prefix is at least three bytes long.
        ByteLanes.firstMatch(in: bytes, from: start, to: bytes.count - 2, reading: 17, mayHold: mayStartPrefix(in:at:)) { index in
            guard mayStartPrefix(bytes[index], bytes[index + 1]),
                index == 0 || !isTokenCharacter(bytes[index - 1], punctuation: false),
                let (shape, end) = match(bytes, at: index)
            else { return nil }
            return (index, shape, end)
        }
    }

    /// Whether a prefix of `shapes` can start at one of the 16 positions from `offset` (17 bytes are read).
    @inline(__always)
    private static func mayStartPrefix(in bytes: UnsafeRawPointer, at offset: Int) -> Bool {
        typealias Lanes = ByteLanes.Lanes
        let first = ByteLanes.load(bytes, at: offset)
        let second = ByteLanes.load(bytes, at: offset + 1)
        func byte(_ character: Unicode.Scalar) -> Lanes { Lanes(repeating: UInt8(ascii: character)) }
        var candidates = (first .== byte("s")) .& (second .== byte("k"))
        candidates .|= (first .== byte("A")) .& ((second .== byte("I")) .| (second .== byte("K")))
        candidates .|= (first .== byte("g")) .& (second .== byte("s"))
        candidates .|= (first .== byte("x")) .& (second .== byte("a"))
        candidates .|= (first .== byte("h")) .& (second .== byte("f"))
        candidates .|= ((first | Lanes(repeating: 0x20)) .== byte("b")) .& ((second | Lanes(repeating: 0x20)) .== byte("e"))
        return ByteLanes.any(candidates)
    }

    /// Whether a prefix of `shapes` can start with these two bytes.
    @inline(__always)
    private static func mayStartPrefix(_ first: UInt8, _ second: UInt8) -> Bool {
        switch first {
        case UInt8(ascii: "s"): return second == UInt8(ascii: "k")  // sk-, sk-ant-, sk-proj-
        case UInt8(ascii: "A"): return second == UInt8(ascii: "I") || second == UInt8(ascii: "K")  // AIza, AKIA
        case UInt8(ascii: "g"): return second == UInt8(ascii: "s")  // gsk_
        case UInt8(ascii: "x"): return second == UInt8(ascii: "a")  // xai-
        case UInt8(ascii: "h"): return second == UInt8(ascii: "f")  // hf_
        case UInt8(ascii: "b"), UInt8(ascii: "B"): return second | 0x20 == UInt8(ascii: "e")  // bearer, any case
        default: return false
        }
    }

    private static func match(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> (Shape, Int)? {
        for shape in shapes {
            guard start + shape.prefix.count <= bytes.count else { continue }
            var matches = true
            for (offset, expected) in shape.prefix.enumerated() {
                var actual = bytes[start + offset]
                if shape.caseInsensitivePrefix && actual >= 0x41 && actual <= 0x5A { actual += 0x20 }
                if actual != expected {
                    matches = false
                    break
                }
            }
            guard matches else { continue }
            var end = start + shape.prefix.count
            // Several spaces may separate "Bearer" from its token.
            if shape.caseInsensitivePrefix { while end < bytes.count && bytes[end] == 0x20 { end += 1 } }
            let secretStart = end
            while end < bytes.count && isTokenCharacter(bytes[end], punctuation: shape.allowsTokenPunctuation) { end += 1 }
            if end - secretStart >= shape.minimumLength { return (shape, end) }
        }
        return nil
    }

    private static func isTokenCharacter(_ byte: UInt8, punctuation: Bool) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2D: return true  // 0-9 A-Z a-z _ -
        case 0x2E, 0x7E, 0x2B, 0x2F, 0x3D: return punctuation  // . ~ + / =
        default: return false
        }
    }
}
