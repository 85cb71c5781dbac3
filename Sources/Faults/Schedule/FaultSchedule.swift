/// One model's fault schedule with its state: which attempt comes next and where the seeded
/// generator stands. A pure value: time comes in as an elapsed duration, never from a clock.
public struct FaultSchedule: Sendable {
    public let rule: FaultRule
    /// Attempts decided so far.
    public private(set) var attempts = 0
    private let seed: UInt64
    private var generator: SplitMix64

    public init(rule: FaultRule, seed: UInt64) {
        self.rule = rule
        self.seed = seed
        self.generator = SplitMix64(seed: seed)
    }

    /// The fault for the next attempt, made `elapsed` after the schedule's epoch (the server's
    /// start or its last reset).
    public mutating func next(at elapsed: Duration) -> any Fault {
        let attempt = attempts
        attempts += 1
        switch rule {
        case .always(let fault):
            return fault
        case .perAttempt(let faults):
            guard let last = faults.last else { return NoFault() }
            return attempt < faults.count ? faults[attempt] : last
        case .windows(let windows):
            var end = Duration.zero
            for window in windows {
                end += window.duration
                if elapsed < end { return window.fault }
            }
            return NoFault()
        case .probability(let probability, let fault):
            // One draw per attempt whatever the probability, so the sequence depends on the
            // seed and the attempt number only.
            return generator.nextUnit() < probability ? fault : NoFault()
        }
    }

    /// Back to the first attempt and the generator's first draw.
    public mutating func reset() {
        attempts = 0
        generator = SplitMix64(seed: seed)
    }
}
