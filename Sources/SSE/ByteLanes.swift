/// Helpers for scans that look at sixteen bytes at once and skip stretches that hold nothing of
/// interest (line ends, key prefixes, error words).
public enum ByteLanes {
    public typealias Lanes = SIMD16<UInt8>
    public typealias Mask = SIMDMask<SIMD16<Int8>>

    /// The sixteen bytes from `offset`.
    @inlinable @inline(__always)
    public static func load(_ bytes: UnsafeRawPointer, at offset: Int) -> Lanes {
        bytes.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
    }

    /// Whether any lane is set. The standard library's `any(_:)` reduces lane by lane and, in
    /// some builds, runs tens of times slower than the scalar scans it should speed up; a mask
    /// is 16 bytes of all-ones or zeros, so two words say it at once.
    @inlinable @inline(__always)
    public static func any(_ mask: Mask) -> Bool {
        let words = unsafeBitCast(mask, to: (UInt64, UInt64).self)
        return words.0 | words.1 != 0
    }

    /// Whether one of the sixteen bytes from `offset` is CR or LF.
    @inlinable @inline(__always)
    public static func holdsLineEnd(_ bytes: UnsafeRawPointer, at offset: Int) -> Bool {
        let lanes = load(bytes, at: offset)
        return any((lanes .== Lanes(repeating: 0x0A)) .| (lanes .== Lanes(repeating: 0x0D)))
    }

    /// The first non-nil `match(position)` for positions from `start` up to (not including)
    /// `end`, asking `match` only inside stretches of sixteen positions that `mayHold(base,
    /// first position)` lets through; `mayHold` may read `reading` bytes from the stretch's first
    /// position, and is not asked where fewer remain (those positions are all tried).
    @inlinable @inline(__always)
    public static func firstMatch<Found>(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, reading: Int,
        mayHold: (UnsafeRawPointer, Int) -> Bool, match: (Int) -> Found?
    ) -> Found? {
        guard let base = bytes.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        var position = start
        while position < end {
            if position + reading <= bytes.count && !mayHold(raw, position) {
                position += 16
                continue
            }
            let stretchEnd = min(position + 16, end)
            while position < stretchEnd {
                if let found = match(position) { return found }
                position += 1
            }
        }
        return nil
    }
}
