import AsyncHTTPClient
import Dialects
import Faults
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Replay

/// A logger that drops everything, so test output stays readable.
let quietLogger = Logger(label: "replay-tests") { _ in SwiftLogNoOpLogHandler() }

/// A report as the responder received it.
struct EndedExchange: Sendable {
    var request: ReplayRequest
    var report: WireReport
}

/// The tests' responder: answers with whatever plan a closure gives, and hands every report to
/// the test in arrival order.
final class ScriptedResponder: ReplayResponder {
    private let plan: @Sendable (ReplayRequest) -> WirePlan
    let reports: AsyncStream<EndedExchange>
    private let continuation: AsyncStream<EndedExchange>.Continuation

    init(plan: @escaping @Sendable (ReplayRequest) -> WirePlan) {
        self.plan = plan
        (reports, continuation) = AsyncStream.makeStream()
    }

    convenience init(_ plan: WirePlan) {
        self.init { _ in plan }
    }

    func respond(to request: ReplayRequest) async -> WirePlan {
        plan(request)
    }

    func wireDidEnd(_ report: WireReport, for request: ReplayRequest) async {
        continuation.yield(EndedExchange(request: request, report: report))
    }
}

/// The tiny demo responder: a streamed SSE answer on `/stream`, a JSON body on `/json`, 404 else.
enum DemoResponder {
    static func make() -> ScriptedResponder {
        ScriptedResponder { request in
            switch request.route {
            case "/stream": Plans.sse(["one", "two", "three"])
            case "/json": Plans.fixed(#"{"ok":true}"#, contentType: "application/json")
            default: Plans.fixed(#"{"error":"not found"}"#, status: 404, contentType: "application/json")
            }
        }
    }
}

/// Building blocks for plans in tests.
enum Plans {
    static let sseHead = WirePlan.Step.head(status: 200, headers: [HTTPField("content-type", "text/event-stream")])

    static func frame(_ text: String) -> [UInt8] {
        Array("data: \(text)\n\n".utf8)
    }

    /// A chunked stream of SSE frames, one write each, properly finished.
    static func sse(_ texts: [String], pause: Int64 = 0) -> WirePlan {
        var steps: [WirePlan.Step] = [sseHead]
        for (index, text) in texts.enumerated() {
            if index > 0 && pause > 0 { steps.append(.pause(microseconds: pause)) }
            steps.append(.write(frame(text)))
        }
        steps.append(.finish)
        return WirePlan(steps: steps)
    }

    /// A fixed-length body in one write.
    static func fixed(_ text: String, status: Int = 200, contentType: String = "text/plain") -> WirePlan {
        let bytes = Array(text.utf8)
        return WirePlan(steps: [
            .head(
                status: status,
                headers: [HTTPField("content-type", contentType), HTTPField("content-length", "\(bytes.count)")]
            ),
            .write(bytes),
            .finish,
        ])
    }
}

/// One pause the server asked for, held until the test opens it or the pause is cancelled.
final class Gate: Sendable {
    let duration: Duration
    private struct State {
        var opened = false
        var openedByCancellation = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = NIOLockedValueBox(State())

    init(duration: Duration) {
        self.duration = duration
    }

    /// Whether the server gave up the pause itself (its connection closed) rather than the test opening it.
    var wasCancelled: Bool { state.withLockedValue { $0.openedByCancellation } }

    func open() {
        release(byCancellation: false)
    }

    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLockedValue { state in
                    if state.opened { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            release(byCancellation: true)
        }
    }

    private func release(byCancellation: Bool) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard !state.opened else { return nil }
            state.opened = true
            state.openedByCancellation = byCancellation
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}

/// A sleeper that lets the test decide when each pause ends, so timing is asserted by order,
/// never by the wall clock.
final class GatedSleeper: WireSleeper {
    let gates: AsyncStream<Gate>
    private let continuation: AsyncStream<Gate>.Continuation
    private let requested = NIOLockedValueBox(0)

    /// How many pauses the server has asked for so far.
    var pausesRequested: Int { requested.withLockedValue { $0 } }

    init() {
        (gates, continuation) = AsyncStream.makeStream()
    }

    func sleep(for duration: Duration) async {
        let gate = Gate(duration: duration)
        requested.withLockedValue { $0 += 1 }
        continuation.yield(gate)
        await gate.wait()
    }
}

/// Runs `body` against a server on a free loopback port and always stops the server afterwards.
func withReplayServer(
    responder: ScriptedResponder,
    sleeper: any WireSleeper = .continuous,
    maxRequestBodyBytes: Int = 32 * 1024 * 1024,
    _ body: (ReplayServer) async throws -> Void
) async throws {
    let server = try await ReplayServer.start(
        configuration: .init(host: "127.0.0.1", port: 0, maxRequestBodyBytes: maxRequestBodyBytes),
        responder: responder,
        sleeper: sleeper,
        logger: quietLogger
    )
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Runs `body` with an HTTP client of its own, shut down afterwards.
func withHTTPClient(_ body: (HTTPClient) async throws -> Void) async throws {
    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
    do {
        try await body(client)
    } catch {
        try await client.shutdown()
        throw error
    }
    try await client.shutdown()
}

extension ReplayServer {
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }
}

extension AsyncStream {
    /// The next element, or nil once the stream has ended.
    func next() async -> Element? {
        var iterator = makeAsyncIterator()
        return await iterator.next()
    }
}
