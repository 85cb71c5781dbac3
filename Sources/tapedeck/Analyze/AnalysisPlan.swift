import Analysis
import Dialects
import Faults
import Foundation
import Logging
import Replay
import Routing

/// What `analyze` will do, resolved from its options: the cassette, the scenarios, the target.
struct AnalysisPlan {
    static let demoCassette = "fixtures/cassettes/analyze-demo.jsonl"
    static let demoRouter = "fixtures/routers/analyze-demo.yaml"
    static let demoScenarios = "fixtures/scenarios/seeds.yaml"

    var library: RecordingLibrary
    var scenarios: [Scenario]
    var routerConfig: (config: RouterConfig, path: String)?
    var target: String?
    var targetKey: String?
    var upstreamPort: Int
    var options: AnalysisOptions
    var pacing: Pacing
    var concurrency: Int

    init(command: AnalyzeCommand) throws {
        let isDemo = command.cassette == nil && command.scenarios == nil && command.matrix == nil
            && command.router == nil && command.target == nil && command.incident == nil
        let cassette = command.cassette ?? Self.demoCassette
        guard FileManager.default.fileExists(atPath: cassette) else {
            throw CLIError(isDemo
                ? "the built-in demo needs \(Self.demoCassette): run `tapedeck analyze` from the repository root, or pass --cassette."
                : "\(cassette) does not exist.")
        }
        try requireFile(cassette)
        library = try RecordingLibrary.load(path: cassette)
        let routerPath = command.router ?? (command.target == nil ? Self.demoRouter : nil)
        if let routerPath {
            try requireFile(routerPath)
            let loaded = try RouterConfigLoader.load(contentsOf: URL(fileURLWithPath: routerPath), environment: ProcessInfo.processInfo.environment)
            for warning in loaded.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            routerConfig = (loaded.config, routerPath)
        }
        var scenarios: [Scenario] = []
        let wantsMatrix = command.matrix == .standard || isDemo
        if wantsMatrix {
            guard let routerConfig else {
                throw CLIError("--matrix standard needs --router CONFIG to know the model groups and their primary deployments.")
            }
            scenarios += StandardMatrix.scenarios(library: library, config: routerConfig.config, stallSeconds: command.stallSeconds)
        }
        if let path = command.scenarios ?? (isDemo ? Self.demoScenarios : nil) {
            let library = self.library
            let config = routerConfig?.config
            try requireFile(path)
            do {
                scenarios += try ScenarioFile.load(path: path).map { try RecordedScenarios.resolve($0, library: library, config: config) }
            } catch let error as RecordedScenarioError {
                throw CLIError("\(path): \(error)")
            }
        }
        if let incident = command.incident {
            do {
                scenarios.append(try RecordedScenarios.incident(incident, library: library, config: routerConfig?.config))
            } catch {
                throw CLIError("--incident \(incident): \(error)")
            }
        }
        guard !scenarios.isEmpty else {
            throw CLIError("nothing to run: give --scenarios FILE, --incident ID or --matrix standard (with --router CONFIG).")
        }
        for scenario in scenarios {
            do {
                _ = try ScenarioFaults.book(for: scenario, seed: command.seed)
            } catch {
                throw CLIError("\(command.scenarios ?? "the standard matrix"): \(error)")
            }
        }
        self.scenarios = scenarios
        target = command.target
        targetKey = command.targetKey
        upstreamPort = command.upstreamPort
        options = AnalysisOptions(modes: try command.parsedModes(), seed: command.seed, deadline: .seconds(command.deadline),
                                  apiKey: command.targetKey ?? routerConfig?.config.masterKey)
        do {
            pacing = try Pacing(speed: command.speed)
        } catch {
            throw CLIError("--speed \(command.speed): \(error)")
        }
        concurrency = command.concurrency
    }

    /// Runs the scenarios, split across `concurrency` workers, and merges their reports in order.
    func execute(progress: @escaping @Sendable (AnalysisProgress) -> Void) async throws -> AnalysisReport {
        let logger = {
            var logger = Logger(label: "tapedeck.analyze")
            logger.logLevel = .error
            return logger
        }()
        let chunks = stride(from: 0, to: scenarios.count, by: max(1, (scenarios.count + concurrency - 1) / concurrency)).map {
            Array(scenarios[$0..<min(scenarios.count, $0 + max(1, (scenarios.count + concurrency - 1) / concurrency))])
        }
        let start = ContinuousClock.now
        let counter = ProgressCounter(total: scenarios.count * options.modes.count, forward: progress)
        let reports = try await withThrowingTaskGroup(of: (Int, AnalysisReport).self) { group in
            for (index, chunk) in chunks.enumerated() {
                group.addTask {
                    let service = ReplayService(library: library, faults: FaultBook(), pacing: pacing, logger: logger)
                    let server: ReplayServer
                    do {
                        server = try await ReplayServer.start(
                            configuration: .init(host: "127.0.0.1", port: index == 0 ? upstreamPort : 0), responder: service, logger: logger)
                    } catch {
                        throw CLIError("the replay server cannot start: \(error)")
                    }
                    let analysisTarget: any AnalysisTarget
                    var transport: HTTPUpstreamTransport?
                    if let target {
                        analysisTarget = HTTPGatewayTarget(baseURL: target, apiKey: targetKey)
                    } else {
                        let (config, path) = routerConfig!
                        let http = HTTPUpstreamTransport(logger: logger)
                        transport = http
                        analysisTarget = RouterTarget(config: config, configPath: path, upstreamPort: server.port,
                                                      transport: http, logger: logger)
                    }
                    let runner = AnalysisRunner(target: analysisTarget, replay: service, options: options)
                    let outcome: Result<AnalysisReport, any Error>
                    do {
                        outcome = .success(try await runner.run(chunk) { event in counter.forward(event) })
                    } catch {
                        outcome = .failure(error)
                    }
                    try? await transport?.shutdown()
                    await server.stop()
                    return (index, try outcome.get())
                }
            }
            var collected: [(Int, AnalysisReport)] = []
            for try await result in group { collected.append(result) }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let elapsed = ContinuousClock.now - start
        return AnalysisReport(
            target: reports.first?.target ?? "", scenarios: reports.flatMap(\.scenarios),
            elapsedSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

/// Renumbers progress from several workers into one count.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    private let total: Int
    private let sink: @Sendable (AnalysisProgress) -> Void

    init(total: Int, forward sink: @escaping @Sendable (AnalysisProgress) -> Void) {
        self.total = total
        self.sink = sink
        sink(.started(total: total))
    }

    func forward(_ event: AnalysisProgress) {
        guard case .ran(_, _, let scenario, let mode, let summary) = event else { return }
        let index = lock.withLock { () -> Int in
            done += 1
            return done
        }
        sink(.ran(index: index, total: total, scenario: scenario, mode: mode, summary: summary))
    }
}

/// Progress on stderr: a bar that redraws itself on a terminal, plain lines otherwise.
final class ProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let start = ContinuousClock.now
    private var drewBar = false

    func show(_ event: AnalysisProgress) {
        lock.withLock {
            switch event {
            case .started(let total):
                write("tapedeck analyze: \(total) runs\n")
            case .ran(let index, let total, let scenario, let mode, let summary):
                if isTerminal {
                    let width = 30
                    let filled = width * index / max(1, total)
                    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                    write("\r\u{1B}[2K[\(bar)] \(index)/\(total) \(scenario) (\(mode.rawValue))")
                    drewBar = true
                } else if (ContinuousClock.now - start) > .seconds(1) || index == total {
                    write("[\(index)/\(total)] \(scenario) \(mode.rawValue): \(summary)\n")
                }
            }
        }
    }

    func finish() {
        lock.withLock { if drewBar { write("\r\u{1B}[2K") } }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Writes report files into a directory, creating it.
enum ReportWriter {
    static func write(_ report: AnalysisReport, formats: [ReportFormat], to directory: String) throws -> [String] {
        guard !formats.isEmpty else { return [] }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CLIError("the report directory \(directory) cannot be created: \(error.localizedDescription)")
        }
        var written: [String] = []
        for format in formats {
            guard let name = format.fileName else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            do {
                try format.render(report).write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError("\(path) cannot be written: \(error.localizedDescription)")
            }
            written.append(path)
        }
        return written
    }
}
