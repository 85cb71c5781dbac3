import Cassettes
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Recorder

/// A recorder on loopback port 0 in front of a scripted upstream, a client for the test, and the
/// cassette it records into.
final class RecorderHarness: Sendable {
    let upstream: ScriptedUpstream
    let recorder: Recorder
    let metrics: RecorderMetrics
    let directory: ScratchDirectory
    let cassettePath: String
    private let running: Task<Void, Never>
    private let finished = NIOLockedValueBox(false)

    /// Starts everything. `configure` adjusts the recorder settings; `wrapSink` puts a sink of the
    /// test's in front of the cassette's; `cassettePath` overrides the
    /// scratch cassette (e.g. an unwritable path). `holdsSecretsOnPurpose` marks the scratch folder
    /// as a control for the secret scan (see `ScratchDirectory.Purpose`).
    init(
        upstreamName: String? = nil, upstreamTLS: NIOSSLContext? = nil, cassettePath: String? = nil,
        redactor: Redactor = .standard, holdsSecretsOnPurpose: Bool = false,
        logger: Logger = Logger(label: "test.recorder"),
        configure: (inout RecorderConfiguration) -> Void = { _ in },
        onBodyBytes: (@Sendable (Int) -> Void)? = nil,
        wrapSink: (CassetteSink) -> any InteractionSink = { $0 },
        script: @escaping ScriptedUpstream.Script
    ) async throws {
        directory = try ScratchDirectory("recorder", purpose: holdsSecretsOnPurpose ? .secretsOnPurpose : .artifacts)
        upstream = try await ScriptedUpstream(tls: upstreamTLS, onBodyBytes: onBodyBytes, script: script)
        let origin = upstreamTLS == nil ? upstream.url : "https://localhost:\(upstream.port)"
        let route = try UpstreamRoute(parsing: (upstreamName.map { "\($0)=" } ?? "") + origin)
        var configuration = RecorderConfiguration(listenPort: 0, adminHost: "127.0.0.1", adminPort: 0, routes: try RouteTable([route]))
        configure(&configuration)
        metrics = RecorderMetrics()
        self.cassettePath = cassettePath ?? directory.path("recorded.sqlite")
        let sink = CassetteSink(
            path: self.cassettePath, options: .init(redactor: redactor, reopenInterval: .seconds(3600), logInterval: .seconds(3600)), metrics: metrics,
            logger: logger)
        recorder = try await Recorder.bind(configuration: configuration, sink: wrapSink(sink), metrics: metrics, logger: logger)
        let recorder = recorder
        running = Task { await recorder.run() }
    }

    /// `http://127.0.0.1:PORT/path` on the recorder.
    func url(_ path: String) -> String { "http://127.0.0.1:\(recorder.port)\(path)" }

    /// A new client connection to the recorder.
    func connect(autoRead: Bool = true) async throws -> TestHTTPConnection {
        try await TestHTTPConnection.connect(port: recorder.port, autoRead: autoRead)
    }

    /// Sends one request on a new connection and reads the whole response.
    func send(
        _ path: String, body: String?, headers: [(String, String)] = [("content-type", "application/json")],
        method: HTTPMethod = .POST
    ) async throws -> ClientResult {
        let connection = try await connect()
        defer { connection.channel.close(promise: nil) }
        do {
            try await connection.send(method, path, headers: headers, body: body.map { Array($0.utf8) })
        } catch {
            return ClientResult(status: nil, headers: [:], body: [], ended: false, error: error)
        }
        return await connection.response()
    }

    /// Stops the recorder (draining), then reads back what it recorded, in recorded order.
    func finish(gracePeriod: Duration = .seconds(5)) async throws -> [Interaction] {
        finished.withLockedValue { $0 = true }
        await recorder.shutdown(gracePeriod: gracePeriod)
        await running.value
        await upstream.stop()
        guard FileManager.default.fileExists(atPath: cassettePath) else { return [] }
        let store = try CassetteStore(path: cassettePath, mode: .readOnly)
        defer { try? store.close() }
        return try store.interactions().sorted { $0.recordedAt < $1.recordedAt }
    }

    /// Fetches an admin endpoint.
    func admin(_ path: String) async throws -> ClientResult {
        let connection = try await TestHTTPConnection.connect(port: recorder.adminPort ?? 0)
        defer { connection.channel.close(promise: nil) }
        try await connection.send(.GET, path, body: nil)
        return await connection.response()
    }

    /// Removes the scratch folder; a test that ended early (a failed expectation threw) still
    /// gets its recorder stopped, in the background.
    func remove() {
        let wasFinished = finished.withLockedValue { state -> Bool in
            defer { state = true }
            return state
        }
        if !wasFinished {
            Task { [self] in
                await recorder.shutdown(gracePeriod: .seconds(1))
                await running.value
                await upstream.stop()
                directory.remove()
            }
            return
        }
        directory.remove()
    }
}

