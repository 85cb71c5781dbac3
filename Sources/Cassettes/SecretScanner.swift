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
        var output: [UInt8]? = nil
        var copiedUpTo = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            // Cheap filter: every prefix starts with one of these letters.
            guard byte == 0x73 || byte == 0x41 || byte == 0x67 || byte == 0x78 || byte == 0x68
                || byte == 0x62 || byte == 0x42
            else {
                index += 1
                continue
            }
            if index > 0 && isTokenCharacter(bytes[index - 1], punctuation: false) {
                index += 1
                continue
            }
            guard let (shape, end) = match(bytes, at: index) else {
                index += 1
                continue
            }
            if output == nil {
                output = []
                output!.reserveCapacity(count)
            }
            output!.append(contentsOf: bytes[copiedUpTo..<index])
            output!.append(contentsOf: shape.keptPrefix)
            output!.append(contentsOf: maskText)
            copiedUpTo = end
            index = end
        }
        guard var result = output else { return bytes }
        result.append(contentsOf: bytes[copiedUpTo..<count])
        return result
    }

    /// The text with every key-shaped run masked.
    public static func mask(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let masked = mask(bytes)
        return masked == bytes ? text : String(decoding: masked, as: UTF8.self)
    }

    /// Whether the bytes hold anything key-shaped.
    public static func containsSecret(_ bytes: [UInt8]) -> Bool { mask(bytes) != bytes }

    private static func match(_ bytes: [UInt8], at start: Int) -> (Shape, Int)? {
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
