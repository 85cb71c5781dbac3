import Dialects
import Foundation
import Replay

/// Settings of one analysis run.
public struct AnalysisOptions: Sendable {
    public var modes: [Mode]
    public var seed: UInt64
    /// How long a client waits for a response to end before the run counts as a hang.
    public var deadline: Duration
    /// The API key clients send when a scenario names none.
    public var apiKey: String?

    public init(modes: [Mode] = Mode.allCases, seed: UInt64 = 0, deadline: Duration = .seconds(20), apiKey: String? = nil) {
        self.modes = modes
        self.seed = seed
        self.deadline = deadline
        self.apiKey = apiKey
    }
}

/// Progress of a run, for the terminal.
public enum AnalysisProgress: Sendable {
    case started(total: Int)
    case ran(index: Int, total: Int, scenario: String, mode: Mode, summary: String)
}

/// Runs every scenario in each mode against the target while the replay server injects the
/// scenario's faults, then compares the modes.
///
/// Runs are sequential: the replay server's faults and ledger belong to one run at a time, which
/// is what lets any gateway (one that forwards no headers included) be analyzed.
public struct AnalysisRunner: Sendable {
    public let target: any AnalysisTarget
    public let replay: ReplayService
    public let options: AnalysisOptions

    public init(target: any AnalysisTarget, replay: ReplayService, options: AnalysisOptions) {
        self.target = target
        self.replay = replay
        self.options = options
    }

    public func run(_ scenarios: [Scenario], progress: @Sendable (AnalysisProgress) -> Void = { _ in }) async throws -> AnalysisReport {
        let start = ContinuousClock.now
        let books = try scenarios.map { try ScenarioFaults.book(for: $0, seed: options.seed) }
        let total = scenarios.count * options.modes.count
        progress(.started(total: total))
        var results: [ScenarioResult] = []
        var index = 0
        for (scenario, book) in zip(scenarios, books) {
            var runs: [Mode: ModeRun] = [:]
            for mode in options.modes {
                await replay.reconfigure(faults: book)
                await replay.resetAttempts()
                let run = await runOnce(scenario, mode: mode)
                runs[mode] = run
                index += 1
                progress(.ran(index: index, total: total, scenario: scenario.name, mode: mode, summary: RunText.outcome(run)))
            }
            let findings: [Finding]
            if let stream = runs[.stream], let nonStream = runs[.nonStream] {
                findings = Differ.compare(stream: stream, nonStream: nonStream, context: scenario.context)
            } else if let only = runs.values.first {
                findings = Differ.check(only, context: scenario.context)
            } else {
                findings = []
            }
            results.append(ScenarioResult(name: scenario.name, summary: scenario.summary, findings: findings,
                                          stream: runs[.stream], nonStream: runs[.nonStream]))
        }
        return AnalysisReport(target: target.name, scenarios: results, elapsedSeconds: (ContinuousClock.now - start).milliseconds / 1000)
    }

    private func runOnce(_ scenario: Scenario, mode: Mode) async -> ModeRun {
        let call = ClientCall(scenario: scenario, mode: mode, apiKey: options.apiKey)
        let observation = await target.call(call, deadline: options.deadline)
        let entries = await settledLedger(hung: observation.hung)
        let (outcome, frames) = observation.outcome(for: call)
        return ModeRun(
            mode: mode, outcome: outcome, attempts: entries.map(UpstreamAttempt.init(entry:)), hung: observation.hung,
            elapsedMilliseconds: Int(observation.elapsedMilliseconds.rounded()), clientFrames: frames)
    }

    /// The ledger once every attempt's response has ended on the wire (the wire reports a little
    /// after the client has read the last byte), or after a short grace.
    private func settledLedger(hung: Bool) async -> [LedgerEntry] {
        for _ in 0..<(hung ? 5 : 100) {
            let entries = await replay.ledger.all()
            if entries.allSatisfy({ $0.ending != nil }) { return entries }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await replay.ledger.all()
    }
}

extension UpstreamAttempt {
    /// An upstream attempt as the replay server's ledger recorded it.
    init(entry: LedgerEntry) {
        self.init(
            model: entry.model ?? "unknown", stream: entry.stream, fault: entry.fault, ending: entry.ending ?? .timeout,
            status: entry.status, errorKind: entry.errorKind,
            continuation: entry.continuation.map { ContinuationRecord(style: $0.style.rawValue, text: $0.text) },
            reportedModel: entry.reportedModel, framesSent: entry.framesSent,
            startMilliseconds: entry.startMilliseconds, endMilliseconds: entry.endMilliseconds ?? entry.startMilliseconds)
    }
}
