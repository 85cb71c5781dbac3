import ArgumentParser
import Dialects
import Faults
import Foundation
import Logging
import Replay

/// `tapedeck serve`: plays a cassette back as the providers, with faults injected at the wire.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Replay a cassette as the LLM providers, with faults injected at exact points of real streams.",
        discussion: """
            Endpoints: /v1/chat/completions, /v1/responses, /v1/messages,
            /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse, each also under
            /openai, /anthropic or /gemini. GET /_tapedeck/attempts lists every attempt; DELETE clears it.
            Per request, the header x-tapedeck-fault: [MODEL=]SPEC[;...] adds a fault.
            """
    )

    @Option(help: "The cassette: a SQLite file, or a .jsonl / .har / .yaml export.")
    var cassette: String

    @Option(help: "Where to listen (host:port; a bare port means 127.0.0.1).")
    var listen = ListenAddress(host: "127.0.0.1", port: 8788)

    @Option(help: "Pacing: recorded gaps divided by N, or `max` for no delay.")
    var speed = "1"

    @Option(help: "Seed for probabilistic fault schedules.")
    var seed: UInt64?

    @Option(help: "A faults file (YAML): schedules and capabilities per model.")
    var faults: String?

    @Option(name: .customLong("fault"), help: "A fault for every request, or for one model: [MODEL=]SPEC. Repeatable.")
    var faultSpecs: [String] = []

    @Option(name: .customLong("capability"), help: "MODEL=rejects_prefill. Repeatable.")
    var capabilities: [String] = []

    func run() async throws {
        let setup = try ReplaySetup(
            cassette: cassette, speed: speed, seed: seed, faultsFile: faults, faultSpecs: faultSpecs, capabilities: capabilities)
        var logger = Logger(label: "tapedeck.serve")
        logger.logLevel = .info
        let service = ReplayService(library: setup.library, faults: setup.book, pacing: setup.pacing, logger: logger)
        let server: ReplayServer
        do {
            server = try await ReplayServer.start(
                configuration: .init(host: listen.host, port: listen.port), responder: service, logger: logger)
        } catch {
            throw CLIError("\(error)")
        }
        // Written unbuffered: scripts read the port from this line while the server runs.
        say("tapedeck serve: \(setup.library.recordings.count) recordings of \(setup.library.models.joined(separator: ", ")) on http://\(listen.host):\(server.port)")
        for skipped in setup.library.skipped { say("tapedeck serve: skipped \(skipped)") }
        let signal = await SignalWaiter.wait()
        say("tapedeck serve: \(signal) received, stopping")
        await server.stop(gracePeriod: .seconds(2))
    }
}

/// What `serve` and `analyze` share: a cassette loaded for replay and the fault book built from
/// the command line, with every input checked and its error named.
struct ReplaySetup {
    var library: RecordingLibrary
    var book: FaultBook
    var pacing: Pacing

    init(cassette: String, speed: String, seed: UInt64?, faultsFile: String?, faultSpecs: [String], capabilities: [String]) throws {
        try requireFile(cassette)
        library = try RecordingLibrary.load(path: cassette)
        do {
            pacing = try Pacing(speed: speed)
        } catch {
            throw CLIError("--speed \(speed): \(error)")
        }
        let fixed: [ScopedFault]
        do {
            fixed = try faultSpecs.map { try ScopedFault(parsing: $0) }
        } catch {
            throw CLIError("--fault: \(error)")
        }
        var extra: [(model: String, capability: ModelCapability)] = []
        for assignment in capabilities {
            do {
                extra.append(try ModelCapability.parseAssignment(assignment))
            } catch {
                throw CLIError("--capability: \(error)")
            }
        }
        let file = try faultsFile.map { path throws -> FaultsFile in
            try requireFile(path)
            do { return try FaultsFile.load(path: path) } catch { throw CLIError("\(error)") }
        } ?? FaultsFile()
        book = file.book(seed: seed, fixed: fixed, extraCapabilities: extra)
    }
}
