@testable import Cassettes
import Testing
import TestSupport

/// The byte scanners on the recording path (secret masking, block lengths) are written for speed;
/// these tests hold them to plain reference versions, written for clarity, over inputs dense in
/// what they look for: key prefixes at and around token boundaries, CR, LF and CRLF runs.
@Suite("Fast byte scanners match their reference versions")
struct ByteScanEquivalenceTests {
    /// Pieces that make up the inputs: every key prefix, near misses, token characters and line ends.
    static let pieces: [[UInt8]] = [
        "sk-", "sk-ant-", "sk-proj-", "AIza", "AKIA", "gsk_", "xai-", "hf_", "Bearer ", "bearer  ", "BEARER ", "bEaRer ",
        "sk", "s", "k-", "AI", "AK", "gs", "xa", "h", "b", "B", "e", "Bea", "skk-", "-", "_", ".", "~", "+", "/", "=", " ",
        "\"", ":", "x", "A", "0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJ", "\n", "\r", "\r\n", "\n\n", "\r\n\r\n",
        "data: ", "é", "\u{0}",
    ].map { Array($0.utf8) }

    static func input(_ random: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        // Some long inputs, so the 16-byte stretches meet prefixes at every offset.
        for _ in 0..<random.below(random.chance(1, in: 4) ? 400 : 40) {
            bytes += random.pick(pieces)
            // Long token runs, so prefixes meet their minimum lengths.
            if random.chance(1, in: 4) { bytes += Array(repeating: random.pick(Array("aZ9_-".utf8)), count: random.below(40)) }
        }
        return bytes
    }

    /// Calls `check` with 5,000 inputs made from `seed`, and each one's iteration number.
    static func forEachInput(seed: UInt64, _ check: ([UInt8], Int) -> Void) {
        var random = SeededGenerator(seed: seed)
        for iteration in 0..<5_000 { check(input(&random), iteration) }
    }

    @Test("secret masking matches the reference on 5,000 inputs")
    func masking() {
        Self.forEachInput(seed: 0x5EC2E7) { bytes, iteration in
            let expected = ReferenceSecretScanner.mask(bytes)
            #expect(SecretScanner.mask(bytes) == expected, "iteration \(iteration): \(String(decoding: bytes, as: UTF8.self))")
            #expect(SecretScanner.containsSecret(bytes) == (expected != bytes), "iteration \(iteration)")
        }
    }

    @Test("block lengths match the reference on 5,000 inputs, contiguous or not")
    func blockLengths() {
        Self.forEachInput(seed: 0xB10C) { bytes, iteration in
            let expected = ReferenceBlockLengths.of(bytes)
            #expect(BlobCodec.blockLengths(bytes) == expected, "iteration \(iteration)")
            #expect(BlobCodec.blockLengths(bytes.lazy.map { $0 }) == expected, "iteration \(iteration), not contiguous")
            #expect(expected.reduce(0, +) == bytes.count)
        }
    }
}

/// Secret masking as first written: byte by byte over the array, every shape tried at every
/// candidate letter.
private enum ReferenceSecretScanner {
    static func mask(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8]? = nil
        var copiedUpTo = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard Array("sAgxhbB".utf8).contains(byte), index == 0 || !isToken(bytes[index - 1], punctuation: false),
                let (shape, end) = match(bytes, at: index)
            else {
                index += 1
                continue
            }
            if output == nil { output = [] }
            output! += bytes[copiedUpTo..<index] + shape.keptPrefix + SecretScanner.maskText
            copiedUpTo = end
            index = end
        }
        guard var result = output else { return bytes }
        result += bytes[copiedUpTo...]
        return result
    }

    static func match(_ bytes: [UInt8], at start: Int) -> (SecretScanner.Shape, Int)? {
        for shape in SecretScanner.shapes {
            guard start + shape.prefix.count <= bytes.count else { continue }
            let actual = bytes[start..<start + shape.prefix.count].map {
                shape.caseInsensitivePrefix && $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0
            }
            guard actual == shape.prefix else { continue }
            var end = start + shape.prefix.count
            if shape.caseInsensitivePrefix { while end < bytes.count && bytes[end] == 0x20 { end += 1 } }
            let secretStart = end
            while end < bytes.count && isToken(bytes[end], punctuation: shape.allowsTokenPunctuation) { end += 1 }
            if end - secretStart >= shape.minimumLength { return (shape, end) }
        }
        return nil
    }

    static func isToken(_ byte: UInt8, punctuation: Bool) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2D: return true
        case 0x2E, 0x7E, 0x2B, 0x2F, 0x3D: return punctuation
        default: return false
        }
    }
}

/// Block lengths as first written: a block ends at an empty line (LF, CR or CRLF ends a line).
private enum ReferenceBlockLengths {
    static func of(_ bytes: [UInt8]) -> [Int] {
        var lengths: [Int] = []
        var blockStart = 0
        var position = 0
        var atLineStart = true
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            guard byte == 0x0A || byte == 0x0D else {
                atLineStart = false
                continue
            }
            if byte == 0x0D && position < bytes.count && bytes[position] == 0x0A { position += 1 }
            if atLineStart {
                lengths.append(position - blockStart)
                blockStart = position
            }
            atLineStart = true
        }
        if position > blockStart { lengths.append(position - blockStart) }
        return lengths
    }
}
