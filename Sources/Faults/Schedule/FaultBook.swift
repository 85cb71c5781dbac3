/// Every model's fault schedule and capabilities, and the one place that decides which fault
/// an attempt gets: the request header first, then `--fault` flags, then the faults file.
///
/// Pure and deterministic: the same seed, rules and sequence of (model, elapsed, header) give
/// the same faults. Schedules advance on every attempt, even one whose fault comes from a
/// header or flag, so attempt numbers count what the upstream saw.
public struct FaultBook: Sendable {
    public let seed: UInt64
    /// Rules per upstream model.
    public let rules: [String: FaultRule]
    /// The rule for models without one; nil means healthy.
    public let defaultRule: FaultRule?
    /// Faults from `--fault` flags; a flag naming the model wins over one without a model.
    public let fixed: [ScopedFault]
    /// Capabilities per upstream model.
    public let capabilities: [String: ModelCapabilities]
    private var schedules: [String: FaultSchedule] = [:]

    public init(
        seed: UInt64 = 0, rules: [String: FaultRule] = [:], defaultRule: FaultRule? = nil,
        fixed: [ScopedFault] = [], capabilities: [String: ModelCapabilities] = [:]
    ) {
        self.seed = seed
        self.rules = rules
        self.defaultRule = defaultRule
        self.fixed = fixed
        self.capabilities = capabilities
    }

    /// Decides the fault of the next attempt on `model`, made `elapsed` after the epoch.
    public mutating func decide(model: String?, at elapsed: Duration, header: FaultHeader? = nil) -> FaultDecision {
        let key = model ?? ""
        var schedule = schedules[key] ?? FaultSchedule(
            rule: rules[key] ?? defaultRule ?? .always(NoFault()), seed: SplitMix64.seed(seed, for: key))
        let scheduled = schedule.next(at: elapsed)
        schedules[key] = schedule
        let attempt = schedule.attempts
        if let fault = header?.fault(forModel: model) {
            return FaultDecision(attempt: attempt, fault: fault, source: .header)
        }
        let flag = fixed.first { $0.model != nil && $0.model == model } ?? fixed.first { $0.model == nil }
        if let flag {
            return FaultDecision(attempt: attempt, fault: flag.fault, source: .flag)
        }
        let fromFile = rules[key] != nil || defaultRule != nil
        return FaultDecision(attempt: attempt, fault: scheduled, source: fromFile ? .schedule : .none)
    }

    /// The capabilities of a model (none when unlisted).
    public func capabilities(of model: String?) -> ModelCapabilities {
        model.flatMap { capabilities[$0] } ?? ModelCapabilities()
    }

    /// Attempts decided so far for a model.
    public func attempts(of model: String?) -> Int {
        schedules[model ?? ""]?.attempts ?? 0
    }

    /// Forgets every attempt: schedules start again from attempt 1 and the seed's first draw.
    public mutating func reset() {
        schedules.removeAll()
    }
}

/// The fault one attempt gets, and why.
public struct FaultDecision: Sendable, CustomStringConvertible {
    /// The attempt's number for its model, from 1.
    public var attempt: Int
    public var fault: any Fault
    public var source: FaultSource

    public init(attempt: Int, fault: any Fault, source: FaultSource) {
        self.attempt = attempt
        self.fault = fault
        self.source = source
    }

    public var description: String { "attempt \(attempt): \(fault) (\(source.rawValue))" }
}

/// Where an attempt's fault came from.
public enum FaultSource: String, Hashable, Sendable, CaseIterable {
    /// The request's `x-tapedeck-fault` header.
    case header
    /// A `--fault` flag.
    case flag
    /// The model's (or the default) rule in the faults file.
    case schedule
    /// Nothing configured: `ok`.
    case none
}
