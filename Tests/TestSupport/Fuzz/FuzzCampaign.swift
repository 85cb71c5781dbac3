import Foundation

/// Runs a seeded fuzz loop so that any failure names the seed and iteration that reproduce it.
///
/// Iteration counts scale with `TAPEDECK_FUZZ_SCALE` (default 1: sized for CI in a debug build);
/// `TAPEDECK_FUZZ_ONLY=SEED:ITERATION` replays one case. Expectation failures carry the case in
/// their message (`label`); a crash prints every case in flight from a signal handler, since a
/// trap gives the test no chance to report.
public struct FuzzCampaign: Sendable {
    public var name: String
    public var seed: UInt64
    public var iterations: Int

    public init(_ name: String, seed: UInt64, iterations: Int) {
        self.name = name
        self.seed = seed
        self.iterations = iterations
    }

    /// One iteration of a campaign: its label for failure messages and its own generator.
    public struct Case {
        public var label: String
        public var random: SeededGenerator
    }

    /// Calls `body` once per iteration with a generator derived from (seed, iteration).
    public func run(_ body: (inout Case) throws -> Void) rethrows {
        let environment = ProcessInfo.processInfo.environment
        let scale = environment["TAPEDECK_FUZZ_SCALE"].flatMap(Int.init) ?? 1
        var selected = Array(0..<(iterations * max(1, scale)))
        if let only = environment["TAPEDECK_FUZZ_ONLY"] {
            let parts = only.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2, UInt64(parts[0]) == seed else { return }
            selected = [parts[1]]
        }
        let slot = CrashReporter.shared.claimSlot()
        defer { CrashReporter.shared.release(slot) }
        for iteration in selected {
            let label = "\(name): seed \(seed) iteration \(iteration) (reproduce with TAPEDECK_FUZZ_ONLY=\(seed):\(iteration))"
            CrashReporter.shared.record(label, in: slot)
            var fuzzCase = Case(label: label, random: SeededGenerator(seed: seed, iteration: iteration))
            try body(&fuzzCase)
        }
    }
}
