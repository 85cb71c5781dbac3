import Faults

/// The generator of seeded tests (the faults' own SplitMix64, with helpers): every random choice a
/// fuzz case makes comes from one, so a case is reproduced exactly from its seed and iteration.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var base: SplitMix64

    public init(seed: UInt64) { base = SplitMix64(seed: seed) }

    /// The generator of one iteration of a campaign: independent of every other iteration, so one
    /// iteration can be replayed alone.
    public init(seed: UInt64, iteration: Int) {
        var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: iteration) &* 0xD134_2543_DE82_EF95))
        base = SplitMix64(seed: mixer.next())
    }

    public mutating func next() -> UInt64 { base.next() }

    /// A number in `0..<bound` (0 when the bound is not positive).
    public mutating func below(_ bound: Int) -> Int {
        bound > 0 ? Int(next() % UInt64(bound)) : 0
    }

    /// True with probability `numerator / denominator`.
    public mutating func chance(_ numerator: Int, in denominator: Int) -> Bool {
        below(denominator) < numerator
    }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }
}
