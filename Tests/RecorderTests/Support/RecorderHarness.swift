import AsyncHTTPClient
import Cassettes
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Recorder

/// A scratch folder removed at the end of a test.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tapedeck-recorder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A recorder on loopback port 0 in front of a scripted upstream, a client for the test, and the
/// cassette it records into.
final class RecorderHarness: Sendable {
    let upstream: ScriptedUpstream
    let recorder: Recorder
    let metrics: RecorderMetrics
    let client: HTTPClient
    let directory: ScratchDirectory
    let cassettePath: String
    private let running: Task<Void, Never>
    private let finished = NIOLockedValueBox(false)

    /// One client for every test, never shut down (an `HTTPClient` must not be released running).
    static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    /// Starts everything. `configure` adjusts the recorder settings; `cassettePath` overrides the
    /// scratch cassette (e.g. an unwritable path).
    init(
        upstreamName: String? = nil, cassettePath: String? = nil, redactor: Redactor = .standard,
        logger: Logger = Logger(label: "test.recorder"),
        configure: (inout RecorderConfiguration) -> Void = { _ in },
        onBodyBytes: (@Sendable (Int) -> Void)? = nil,
        script: @escaping ScriptedUpstream.Script
    ) async throws {
        directory = try ScratchDirectory()
        upstream = try await ScriptedUpstream(onBodyBytes: onBodyBytes, script: script)
        let route = try UpstreamRoute(parsing: (upstreamName.map { "\($0)=" } ?? "") + upstream.url)
        var configuration = RecorderConfiguration(listenPort: 0, adminHost: "127.0.0.1", adminPort: 0, routes: try RouteTable([route]))
        configure(&configuration)
        metrics = RecorderMetrics()
        self.cassettePath = cassettePath ?? directory.path("recorded.sqlite")
        let sink = CassetteSink(
            path: self.cassettePath, options: .init(redactor: redactor, reopenInterval: .seconds(3600)), metrics: metrics,
            logger: logger)
        recorder = try await Recorder.bind(configuration: configuration, sink: sink, metrics: metrics, logger: logger)
        let recorder = recorder
        running = Task { await recorder.run() }
        client = Self.sharedClient
    }

    /// `http://127.0.0.1:PORT/path` on the recorder.
    func url(_ path: String) -> String { "http://127.0.0.1:\(recorder.port)\(path)" }

    /// A POST of `body` to the recorder.
    func post(_ path: String, body: String, headers: [(String, String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(path))
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        return request
    }

    /// Sends a request and reads the whole response; the body read error, if any, is returned too.
    func send(_ request: HTTPClientRequest) async throws -> ClientResult {
        let response = try await client.execute(request, timeout: .seconds(30))
        var body: [UInt8] = []
        do {
            for try await chunk in response.body { body.append(contentsOf: chunk.readableBytesView) }
            return ClientResult(status: Int(response.status.code), headers: response.headers, body: body, error: nil)
        } catch {
            return ClientResult(status: Int(response.status.code), headers: response.headers, body: body, error: error)
        }
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
        try await send(HTTPClientRequest(url: "http://127.0.0.1:\(recorder.adminPort ?? 0)\(path)"))
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

/// What the test client got.
struct ClientResult: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    /// Set when the body did not end cleanly.
    var error: (any Error)?

    var text: String { String(decoding: body, as: UTF8.self) }
}
