import ArgumentParser
import Cassettes
import Foundation
import Logging
import Recorder

/// `tapedeck record`: a reverse proxy that records provider streams and failures into a cassette.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Relay traffic to LLM providers untouched and record every stream and failure into a cassette.",
        discussion: """
            --upstream NAME=URL sends /NAME/... to URL/...; a bare --upstream URL takes every other path. \
            Interactions are grouped into sessions by the session header, or else by conversation: \
            the same conversation (ignoring a continuation a fallback appended) joins the session \
            whose last interaction ended at most --session-window seconds earlier. If the cassette \
            cannot be written, traffic is relayed anyway and the loss is counted and logged. \
            SIGINT or SIGTERM stops accepting, lets streams finish for --drain-timeout seconds, \
            flushes the cassette and exits 0.
            """
    )

    @Option(help: "Address to listen on for clients.")
    var listen = ListenAddress(host: "127.0.0.1", port: 8787)

    @Option(name: .customLong("upstream"), parsing: .upToNextOption, help: "[NAME=]URL of a provider (repeatable).")
    var upstreams: [String] = []

    @Option(help: "The cassette file to record into (created if absent).")
    var cassette: String

    @Option(name: .customLong("tag"), help: "A tag for every recorded interaction (repeatable).")
    var tags: [String] = []

    @Option(help: "The request header whose value names a session.")
    var sessionHeader = "x-tapedeck-session"

    @Option(help: "Seconds after a conversation's last interaction during which a new one joins its session.")
    var sessionWindow: Double = 30

    @Option(help: "Address for /metrics and /healthz, e.g. 127.0.0.1:8790 (none when omitted).")
    var admin: ListenAddress?

    @Option(help: "Seconds the upstream may stay silent before the exchange ends as a timeout.")
    var idleTimeout: Double = 600

    @Option(help: "Seconds in-flight streams may take to finish after SIGINT or SIGTERM.")
    var drainTimeout: Double = 30

    @Option(name: .customLong("upstream-ca"), help: "A PEM file of extra certificate authorities to trust for https upstreams.")
    var upstreamCA: String?

    @Option(name: .customLong("redact-path"), help: "A dotted JSON path in request bodies to redact (repeatable).")
    var redactPaths: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        if upstreams.isEmpty { throw ValidationError(RecorderError.noUpstream.description) }
        do {
            _ = try RouteTable(upstreams.map(UpstreamRoute.init(parsing:)))
        } catch {
            throw ValidationError(error.description)
        }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level \(logLevel) is not a log level") }
        if sessionHeader.isEmpty || sessionHeader.contains(where: { $0 == ":" || $0.isWhitespace }) {
            throw ValidationError(RecorderError.invalidSessionHeader(sessionHeader).description)
        }
        for (name, value) in [("--session-window", sessionWindow), ("--idle-timeout", idleTimeout), ("--drain-timeout", drainTimeout)]
        where !(value > 0) {
            throw ValidationError("\(name) must be a positive number of seconds")
        }
    }

    func run() async throws {
        try checkExistingCassette()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tapedeck.record")
        let configuration = RecorderConfiguration(
            listenHost: listen.host, listenPort: listen.port, adminHost: admin?.host, adminPort: admin?.port ?? 0,
            routes: try RouteTable(upstreams.map(UpstreamRoute.init(parsing:))), tags: tags, sessionHeader: sessionHeader,
            sessionWindow: .milliseconds(Int64(sessionWindow * 1000)), idleTimeout: .milliseconds(Int64(idleTimeout * 1000)),
            upstreamTrustRootsFile: upstreamCA)
        let metrics = RecorderMetrics()
        let sink = CassetteSink(
            path: cassette, options: .init(redactor: Redactor(bodyPaths: redactPaths)), metrics: metrics, logger: logger)
        let recorder = try await Recorder.bind(configuration: configuration, sink: sink, metrics: metrics, logger: logger)

        say("Recording on \(listen.host):\(recorder.port) into \(cassette)" + (sink.isOpen ? "" : " (not writable yet: relaying only)"))
        for route in configuration.routes.routes {
            say("  \(route.name.map { "/\($0)/…" } ?? "/…") → \(route.origin)\(route.basePath)/…")
        }
        if let adminPort = recorder.adminPort { say("  metrics on http://\(admin?.host ?? "127.0.0.1"):\(adminPort)/metrics") }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await recorder.run() }
            let signal = await SignalWaiter.wait()
            say("\(signal): draining (up to \(drainTimeout) s)…")
            await recorder.shutdown(gracePeriod: .milliseconds(Int64(drainTimeout * 1000)))
            try await group.waitForAll()
        }
        let snapshot = metrics.snapshot()
        let recorded = snapshot.interactions.values.reduce(0, +)
        print("Recorded \(recorded - snapshot.droppedWrites) of \(recorded) interactions into \(cassette)"
              + (snapshot.droppedWrites > 0 ? " (\(snapshot.droppedWrites) could not be written)." : "."))
    }

    /// Refuses to start on a file that exists but can never be recorded into (a directory, a newer
    /// format, another database, not SQLite): a mistake in the command, not a passing disk problem,
    /// so relaying without recording would silently lose every interaction. An empty file is a
    /// cassette still to be created.
    private func checkExistingCassette() throws {
        guard FileManager.default.fileExists(atPath: cassette) else { return }
        try requireFile(cassette)
        let size = (try? FileManager.default.attributesOfItem(atPath: cassette)[.size] as? Int) ?? 0
        guard size > 0 else { return }
        try CassetteStore(path: cassette, mode: .readOnly).close()
    }
}
