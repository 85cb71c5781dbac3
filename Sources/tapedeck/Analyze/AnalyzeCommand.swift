import Analysis
import ArgumentParser
import Dialects
import Foundation
import Logging
import Replay
import Routing

/// `tapedeck analyze`: runs scenarios in stream and non-stream mode under the same upstream
/// failures and reports every divergence. Without arguments it runs the built-in demo.
struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Compare a router's stream and non-stream fallback under the same upstream failures.",
        discussion: """
            With no arguments: the built-in demo (fixtures/cassettes/analyze-demo.jsonl, the router
            fixtures/routers/analyze-demo.yaml, the standard fault matrix and fixtures/scenarios/seeds.yaml),
            report in ./tapedeck-report/. Run it from the repository root.
            """
    )

    @Option(help: "The cassette the replay server answers from (SQLite or JSONL).")
    var cassette: String?

    @Option(help: "A scenario file (YAML).")
    var scenarios: String?

    @Option(help: "`standard`: every standard fault on the primary deployment of every recorded request.")
    var matrix: MatrixChoice?

    @Option(help: "Replay one recorded session (its session id) in both modes, as it happened.")
    var incident: String?

    @Option(help: "The built-in router's config (LiteLLM format); with --target it only describes the gateway's groups for --matrix.")
    var router: String?

    @Option(help: "An external gateway to analyze instead of the built-in router, e.g. http://127.0.0.1:4000.")
    var target: String?

    @Option(help: "The API key sent to the external gateway.")
    var targetKey: String?

    @Option(help: "The port of the in-process replay server (0: any free port; give it when an external gateway's deployments point at it).")
    var upstreamPort: Int = 0

    @Option(help: "Modes to run, comma-separated: stream,non-stream.")
    var modes = "stream,non-stream"

    @Option(help: "Where to write the reports.")
    var report = "tapedeck-report"

    @Option(help: "Formats, comma-separated: table,md,html,json,junit.")
    var format = "table,md,html,json,junit"

    @Option(help: "Exit non-zero when a finding of this severity or worse exists: warning or error.")
    var failOn: Severity?

    @Option(help: "Seed for probabilistic fault schedules.")
    var seed: UInt64 = 0

    @Option(help: "Scenarios run at once (built-in router only; each worker has its own replay server).")
    var concurrency = 1

    @Option(help: "Replay pacing: recorded gaps divided by N, or `max`.")
    var speed = "10"

    @Option(help: "Seconds a client waits for a response to end before the run counts as a hang.")
    var deadline = 20

    @Option(help: "Seconds a standard-matrix stall lasts (longer than the router's idle timeout).")
    var stallSeconds = 4

    func validate() throws {
        if target != nil && concurrency != 1 {
            throw ValidationError("--concurrency must be 1 with --target: the gateway's deployments point at one replay server.")
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1.") }
        guard deadline >= 1 else { throw ValidationError("--deadline must be at least 1 second.") }
        _ = try parsedModes()
        _ = try parsedFormats()
    }

    func run() async throws {
        let plan = try AnalysisPlan(command: self)
        let progress = ProgressPrinter()
        let analysisReport = try await plan.execute(progress: progress.show)
        progress.finish()
        let formats = try parsedFormats()
        if formats.contains(.table) { print(TableRenderer.render(analysisReport)) }
        let written = try ReportWriter.write(analysisReport, formats: formats.filter { $0 != .table }, to: report)
        if !written.isEmpty { print("\nReports: \(written.joined(separator: ", "))") }
        if let failOn, analysisReport.hasFinding(atOrAbove: failOn) { throw ExitCode(1) }
    }

    func parsedModes() throws -> [Mode] {
        try modes.split(separator: ",").map { name in
            switch name.trimmingCharacters(in: .whitespaces) {
            case "stream": return .stream
            case "non-stream", "non_stream", "nonstream": return .nonStream
            default: throw ValidationError("--modes: unknown mode `\(name)` (expected stream, non-stream).")
            }
        }
    }

    func parsedFormats() throws -> [ReportFormat] {
        try format.split(separator: ",").map { name in
            guard let format = ReportFormat(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--format: unknown format `\(name)` (expected \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))).")
            }
            return format
        }
    }
}

/// The `--matrix` values.
enum MatrixChoice: String, ExpressibleByArgument {
    case standard
}

extension Severity: ExpressibleByArgument {}
