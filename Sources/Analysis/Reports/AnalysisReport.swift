import Dialects
import Foundation

/// The result of one scenario: its findings and what each mode produced.
public struct ScenarioResult: Sendable, Hashable {
    public var name: String
    /// What the scenario does, in a sentence (fault, endpoint, model).
    public var summary: String
    public var findings: [Finding]
    public var stream: ModeRun?
    public var nonStream: ModeRun?

    public init(name: String, summary: String, findings: [Finding], stream: ModeRun?, nonStream: ModeRun?) {
        self.name = name
        self.summary = summary
        self.findings = findings
        self.stream = stream
        self.nonStream = nonStream
    }

    public var runs: [ModeRun] { [stream, nonStream].compactMap { $0 } }

    /// The most severe finding's severity, nil when clean.
    public var worstSeverity: Severity? { findings.map(\.severity).max() }
}

/// Everything an analysis produced; the root of `report.json`.
public struct AnalysisReport: Sendable, Hashable {
    /// The router under test: `built-in router (CONFIG)` or the external gateway's URL.
    public var target: String
    public var scenarios: [ScenarioResult]
    public var elapsedSeconds: Double

    public init(target: String, scenarios: [ScenarioResult], elapsedSeconds: Double) {
        self.target = target
        self.scenarios = scenarios
        self.elapsedSeconds = elapsedSeconds
    }

    public var findings: [Finding] { scenarios.flatMap(\.findings) }

    /// Finding counts per severity (every severity present, zero included).
    public var countsBySeverity: [Severity: Int] {
        var counts = Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0, 0) })
        for finding in findings { counts[finding.severity, default: 0] += 1 }
        return counts
    }

    /// True when some finding is at or above the given severity.
    public func hasFinding(atOrAbove severity: Severity) -> Bool {
        findings.contains { $0.severity >= severity }
    }
}

extension ScenarioResult: Codable {
    enum CodingKeys: String, CodingKey {
        case name, summary, findings, outcomes, attempts, timing
    }

    struct PerMode<Value: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
        var stream: Value?
        var nonStream: Value?
        enum CodingKeys: String, CodingKey {
            case stream
            case nonStream = "non_stream"
        }
    }

    struct Timing: Codable, Sendable, Hashable {
        var elapsedMilliseconds: Int
        var hung: Bool
        var clientFrames: [ClientFrame]
        enum CodingKeys: String, CodingKey {
            case elapsedMilliseconds = "elapsed_ms"
            case hung
            case clientFrames = "client_frames"
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(summary, forKey: .summary)
        try c.encode(findings, forKey: .findings)
        try c.encode(PerMode(stream: stream?.outcome, nonStream: nonStream?.outcome), forKey: .outcomes)
        try c.encode(PerMode(stream: stream?.attempts, nonStream: nonStream?.attempts), forKey: .attempts)
        let timing = { (run: ModeRun?) in run.map { Timing(elapsedMilliseconds: $0.elapsedMilliseconds, hung: $0.hung, clientFrames: $0.clientFrames) } }
        try c.encode(PerMode(stream: timing(stream), nonStream: timing(nonStream)), forKey: .timing)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let outcomes = try c.decode(PerMode<Outcome>.self, forKey: .outcomes)
        let attempts = try c.decode(PerMode<[UpstreamAttempt]>.self, forKey: .attempts)
        let timing = try c.decodeIfPresent(PerMode<Timing>.self, forKey: .timing)
        func run(_ mode: Mode, _ outcome: Outcome?, _ attempts: [UpstreamAttempt]?, _ timing: Timing?) -> ModeRun? {
            outcome.map {
                ModeRun(mode: mode, outcome: $0, attempts: attempts ?? [], hung: timing?.hung ?? false,
                        elapsedMilliseconds: timing?.elapsedMilliseconds ?? 0, clientFrames: timing?.clientFrames ?? [])
            }
        }
        self.init(
            name: try c.decode(String.self, forKey: .name),
            summary: try c.decode(String.self, forKey: .summary),
            findings: try c.decode([Finding].self, forKey: .findings),
            stream: run(.stream, outcomes.stream, attempts.stream, timing?.stream),
            nonStream: run(.nonStream, outcomes.nonStream, attempts.nonStream, timing?.nonStream))
    }
}

extension AnalysisReport: Codable {
    enum CodingKeys: String, CodingKey {
        case schema, target, elapsedSeconds = "elapsed_seconds", summary, scenarios
    }

    struct Summary: Codable {
        var scenarios: Int
        var findings: Int
        var error: Int
        var warning: Int
        var info: Int
    }

    /// The version of the report.json schema documented in the README.
    public static let schemaVersion = 1

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schemaVersion, forKey: .schema)
        try c.encode(target, forKey: .target)
        try c.encode((elapsedSeconds * 1000).rounded() / 1000, forKey: .elapsedSeconds)
        let counts = countsBySeverity
        try c.encode(Summary(scenarios: scenarios.count, findings: findings.count, error: counts[.error] ?? 0,
                             warning: counts[.warning] ?? 0, info: counts[.info] ?? 0), forKey: .summary)
        try c.encode(scenarios, forKey: .scenarios)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            target: try c.decode(String.self, forKey: .target),
            scenarios: try c.decode([ScenarioResult].self, forKey: .scenarios),
            elapsedSeconds: try c.decode(Double.self, forKey: .elapsedSeconds))
    }
}
