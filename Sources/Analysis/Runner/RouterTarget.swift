import Dialects
import Foundation
import Logging
import Replay
import Routing

/// The built-in router, run in process: each call gets a fresh router (no cooldown carried from
/// one scenario to the next) whose deployments talk HTTP to the replay server.
public struct RouterTarget: AnalysisTarget {
    public let config: RouterConfig
    public let configPath: String
    let transport: any UpstreamTransport
    let logger: Logger

    /// Points every deployment's `api_base` at the replay server on `upstreamPort`.
    public init(config: RouterConfig, configPath: String, upstreamPort: Int, transport: any UpstreamTransport, logger: Logger) {
        var config = config
        for index in config.deployments.indices {
            config.deployments[index].apiBase = Self.replayBase(for: config.deployments[index].provider, port: upstreamPort)
        }
        self.config = config
        self.configPath = configPath
        self.transport = transport
        self.logger = logger
    }

    public var name: String { "built-in router (\(configPath))" }

    static func replayBase(for provider: Provider, port: Int) -> String {
        switch provider {
        case .openai: return "http://127.0.0.1:\(port)/openai/v1"
        case .anthropic: return "http://127.0.0.1:\(port)/anthropic"
        case .gemini: return "http://127.0.0.1:\(port)/gemini/v1beta"
        }
    }

    public func call(_ call: ClientCall, deadline: Duration) async -> ClientObservation {
        let router = Router(config: config, transport: transport, logger: logger)
        let recorder = PieceRecorder()
        let request = ClientRequest(dialect: call.dialect, body: call.body, apiKey: call.apiKey ?? config.masterKey)
        let finished = await Deadline.run(deadline) {
            _ = await router.route(request) { part in await recorder.record(part) }
        }
        return await recorder.observation(hung: !finished)
    }
}

/// Collects the parts a client receives, with their arrival times.
actor PieceRecorder {
    private let start = ContinuousClock.now
    private var status: Int?
    private var headers: [HTTPField] = []
    private var pieces: [(milliseconds: Double, bytes: [UInt8])] = []
    private var failure: String?

    func record(_ part: ClientResponsePart) {
        switch part {
        case .head(let status, let headers):
            self.status = status
            self.headers = headers
        case .body(let bytes):
            pieces.append((milliseconds: now, bytes: bytes))
        }
    }

    func head(status: Int, headers: [HTTPField]) {
        self.status = status
        self.headers = headers
    }

    func body(_ bytes: [UInt8]) { pieces.append((milliseconds: now, bytes: bytes)) }

    func fail(_ reason: String) { failure = reason }

    var now: Double { (ContinuousClock.now - start).milliseconds }

    func observation(hung: Bool) -> ClientObservation {
        ClientObservation(status: status, headers: headers, pieces: pieces, hung: hung, transportError: failure,
                          elapsedMilliseconds: now)
    }
}

/// Runs work with a deadline. When the deadline passes first the work is cancelled and
/// abandoned, never awaited: a target that ignores cancellation must not hang the analyzer.
enum Deadline {
    /// True when the work finished in time.
    static func run(_ limit: Duration, _ work: @escaping @Sendable () async -> Void) async -> Bool {
        let race = Race()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            race.set(continuation)
            let worker = Task {
                await work()
                race.finish(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                if race.finish(false) { worker.cancel() }
            }
        }
    }

    /// Resumes its continuation once, with the first result.
    private final class Race: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Bool, Never>?
        private var done = false

        func set(_ continuation: CheckedContinuation<Bool, Never>) {
            lock.withLock { self.continuation = continuation }
        }

        @discardableResult
        func finish(_ result: Bool) -> Bool {
            let waiting: CheckedContinuation<Bool, Never>? = lock.withLock {
                guard !done else { return nil }
                done = true
                defer { continuation = nil }
                return continuation
            }
            waiting?.resume(returning: result)
            return waiting != nil
        }
    }
}
