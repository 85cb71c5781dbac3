/// How a model's faults are chosen attempt after attempt: the settings of a `FaultSchedule`.
public enum FaultRule: Sendable, CustomStringConvertible {
    /// The same fault on every attempt.
    case always(any Fault)
    /// One fault per attempt in order; attempts past the end repeat the last entry, so
    /// `[cut:after=40, ok]` fails once and then stays healthy. An empty list means `ok`.
    case perAttempt([any Fault])
    /// Consecutive time windows from the schedule's epoch (elapsed 0); after the last, `ok`.
    case windows([FaultWindow])
    /// Each attempt gets `fault` with this probability (0…1), otherwise `ok`, drawn from the
    /// seeded generator.
    case probability(Double, any Fault)

    public var description: String {
        switch self {
        case .always(let fault):
            return fault.description
        case .perAttempt(let faults):
            return "[" + faults.map(\.description).joined(separator: ", ") + "]"
        case .windows(let windows):
            return "windows [" + windows.map(\.description).joined(separator: ", ") + "]"
        case .probability(let probability, let fault):
            return "\(fault) with probability \(probability)"
        }
    }
}

/// A stretch of time during which a model answers with one fault.
public struct FaultWindow: Sendable, CustomStringConvertible {
    public var duration: Duration
    public var fault: any Fault

    public init(duration: Duration, fault: any Fault) {
        self.duration = duration
        self.fault = fault
    }

    public var description: String { "\(fault) for \(duration)" }
}
