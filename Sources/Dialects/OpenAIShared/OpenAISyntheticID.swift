/// Stable identifiers for synthesized bodies and streams: the same content always gets the same
/// id, so a synthesized response is reproducible and fingerprints stay put.
enum OpenAISyntheticID {
    /// The creation time written into synthesized objects (a fixed instant: 2025-06-15T15:06:40Z).
    static let createdAt = 1_750_000_000

    /// `prefix` followed by 24 hex digits derived from `seed` (FNV-1a, twice, with different offsets).
    static func make<Seed: Sequence>(prefix: String, seed: Seed) -> String where Seed.Element == UInt8 {
        let first = fnv1a(seed, offset: 0xcbf2_9ce4_8422_2325)
        let second = fnv1a(seed, offset: 0x6c62_272e_07bb_0142)
        return prefix + hex(first) + String(hex(second).prefix(8))
    }

    /// Same, from text.
    static func make(prefix: String, seed: String) -> String { make(prefix: prefix, seed: Array(seed.utf8)) }

    private static func fnv1a<Seed: Sequence>(_ bytes: Seed, offset: UInt64) -> UInt64 where Seed.Element == UInt8 {
        var hash = offset
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
