/// Damages byte strings the ways real inputs go wrong, for fuzz tests of every decoder.
///
/// Each mutation is one named kind, so a failure message can say what was done to the input.
public struct ByteMutator: Sendable {
    /// Inputs to splice from (other fixtures, other dialects).
    public var donors: [[UInt8]]

    public init(donors: [[UInt8]]) {
        self.donors = donors
    }

    public enum Kind: String, CaseIterable, Sendable {
        case flipBit, setInterestingByte, truncateAtBoundary, duplicateSpan, deleteSpan, spliceDonor
        case insertStructural, replaceNumber, insertDeepNesting, insertInvalidUTF8, insertNUL
    }

    /// Applies between one and `maxSteps` random mutations; returns the bytes and the kinds applied.
    public func mutate(_ input: [UInt8], using random: inout SeededGenerator, maxSteps: Int = 4) -> (bytes: [UInt8], kinds: [Kind]) {
        var bytes = input
        var kinds: [Kind] = []
        for _ in 0...random.below(maxSteps) {
            let kind = random.pick(Kind.allCases)
            apply(kind, to: &bytes, using: &random)
            kinds.append(kind)
        }
        return (bytes, kinds)
    }

    /// Applies one mutation of the given kind.
    public func apply(_ kind: Kind, to bytes: inout [UInt8], using random: inout SeededGenerator) {
        switch kind {
        case .flipBit:
            guard !bytes.isEmpty else { return }
            bytes[random.below(bytes.count)] ^= 1 << UInt8(random.below(8))
        case .setInterestingByte:
            guard !bytes.isEmpty else { return }
            bytes[random.below(bytes.count)] = random.pick(Self.interestingBytes)
        case .truncateAtBoundary:
            bytes = Array(bytes.prefix(Self.boundary(in: bytes, using: &random)))
        case .duplicateSpan:
            let span = Self.span(in: bytes, using: &random)
            bytes.insert(contentsOf: bytes[span], at: random.below(bytes.count + 1))
        case .deleteSpan:
            bytes.removeSubrange(Self.span(in: bytes, using: &random))
        case .spliceDonor:
            guard !donors.isEmpty else { return }
            let donor = random.pick(donors)
            let cut = Self.boundary(in: bytes, using: &random)
            let donorCut = Self.boundary(in: donor, using: &random)
            bytes = Array(bytes.prefix(cut)) + donor.dropFirst(donorCut)
        case .insertStructural:
            bytes.insert(contentsOf: random.pick(Self.structuralPieces).utf8, at: random.below(bytes.count + 1))
        case .replaceNumber:
            let digits = bytes.indices.filter { Self.isDigit(bytes[$0]) }
            let number = Array(random.pick(Self.extremeNumbers).utf8)
            guard !digits.isEmpty else {
                bytes.insert(contentsOf: number, at: random.below(bytes.count + 1))
                return
            }
            var start = random.pick(digits)
            while start > 0 && Self.isDigit(bytes[start - 1]) { start -= 1 }
            var end = start
            while end < bytes.count && Self.isDigit(bytes[end]) { end += 1 }
            bytes.replaceSubrange(start..<end, with: number)
        case .insertDeepNesting:
            let depth = random.pick([64, 511, 512, 513, 2_000, 20_000])
            let opener = random.chance(1, in: 2) ? "[" : "{\"a\":"
            let nested = String(repeating: opener, count: depth)
            bytes.insert(contentsOf: nested.utf8, at: random.below(bytes.count + 1))
        case .insertInvalidUTF8:
            bytes.insert(contentsOf: random.pick(Self.invalidUTF8), at: random.below(bytes.count + 1))
        case .insertNUL:
            bytes.insert(0, at: random.below(bytes.count + 1))
        }
    }

    static let interestingBytes: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0xC0, 0xEF, 0x0A, 0x0D, 0x3A, 0x20]
        + Array("\"{}[]:,\\-0e.".utf8)

    static let structuralPieces = [
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud800", "\n", "\r", "\r\n", "\n\n", "data: ", "data:[DONE]\n\n",
        "event: error\n", ": keep-alive\n\n", "id: 7\n", "retry: 99999999999999999999\n", "\u{FEFF}", "null", "true", "-",
        "1e", "{\"type\":\"error\"}", "\"index\":", "\"sequence_number\":",
    ]

    static let extremeNumbers = [
        "0", "-1", "127", "128", "1000000000", "2147483648", "4294967296", "9007199254740993", "9223372036854775807",
        "-9223372036854775808", "9223372036854775808", "99999999999999999999999999", "1e308", "1e309", "-1e999",
        "1.7976931348623157e308", "1" + String(repeating: "0", count: 400), "0.000000000000000000001", "-0", "1.0",
    ]

    static let invalidUTF8: [[UInt8]] = [
        [0x80], [0xC0, 0x80], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
        [0xFE], [0xFF, 0xFF], [0xEF, 0xBB],
    ]

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// A cut position of a random kind: after a line terminator, at a structural character, in
    /// the middle of a multi-byte character, or anywhere.
    static func boundary(in bytes: [UInt8], using random: inout SeededGenerator) -> Int {
        guard !bytes.isEmpty else { return 0 }
        let candidates: [Int]
        switch random.below(4) {
        case 0: candidates = bytes.indices.filter { bytes[$0] == 0x0A || bytes[$0] == 0x0D }.map { $0 + random.below(2) }
        case 1: candidates = bytes.indices.filter { "{}[]\":,".utf8.contains(bytes[$0]) }.map { $0 + random.below(2) }
        case 2: candidates = bytes.indices.filter { bytes[$0] & 0xC0 == 0x80 }
        default: candidates = []
        }
        return min(bytes.count, candidates.isEmpty ? random.below(bytes.count + 1) : random.pick(candidates))
    }

    static func span(in bytes: [UInt8], using random: inout SeededGenerator) -> Range<Int> {
        let start = random.below(bytes.count + 1)
        let length = random.below(min(bytes.count - start, 256) + 1)
        return start..<(start + length)
    }
}
