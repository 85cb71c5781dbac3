import Cassettes
import Dialects
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Recorder
import Testing

@Suite("Exchanges under way in the cassette")
struct OpenExchangeTests {
    @Test("a stream in flight is in the cassette as interrupted with its request and head, then replaced by its interaction when it ends")
    func streamInFlightShowsAsOpen() async throws {
        let release = Gate()
        let firstFrame = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}\n\n"
        let lastFrame = "data: [DONE]\n\n"
        let harness = try await RecorderHarness { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream")])
            try await responder.send(firstFrame)
            await release.wait()
            try await responder.send(lastFrame)
            try await responder.end()
        }
        defer { harness.remove() }
        let secret = "sk-proj-FAKEopenExchangeSecret00000000"
        let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"story"}],"stream":true}"#
        let connection = try await harness.connect()
        try await connection.send(
            .POST, "/v1/chat/completions",
            headers: [("content-type", "application/json"), ("authorization", "Bearer \(secret)")], body: Array(body.utf8))
        try await within(10, "the first frame at the client") {
            while let part = try await connection.next() {
                if case .body = part { return }
            }
        }
        let metrics = harness.metrics
        try await within(10, "the open row committed") {
            while metrics.snapshot().committedOpenWrites < 1 { try await Task.sleep(for: .milliseconds(2)) }
        }

        // What `tapedeck cassette ls/show` would see if the recorder died now.
        let reader = try CassetteStore(path: harness.cassettePath, mode: .readOnly)
        let open = try reader.interactions()
        try reader.close()
        let interrupted = try #require(open.first)
        #expect(open.count == 1)
        #expect(interrupted.ending == .interrupted)
        #expect(interrupted.status == 200)
        #expect(interrupted.content == .frames([]))
        #expect(interrupted.request.body == Array(body.utf8))
        #expect(interrupted.model == "gpt-4o")
        #expect(!interrupted.request.headers.contains { $0.value.contains(secret) }, "the open row holds the secret")

        release.open()
        _ = await connection.response()
        let recorded = try await harness.finish()
        #expect(recorded.count == 1)
        let finished = try #require(recorded.first)
        #expect(finished.id == interrupted.id)
        #expect(finished.ending == .complete)
        #expect(finished.content.bytes == Array((firstFrame + lastFrame).utf8))
        // The request is read once per exchange; both rows carry what a fresh reading gives.
        let fingerprint = RequestFingerprint.compute(
            method: "POST", endpoint: "/v1/chat/completions", model: "gpt-4o", body: Array(body.utf8))
        #expect(finished.fingerprint == fingerprint)
        #expect(interrupted.fingerprint == fingerprint)
        #expect(finished.model == "gpt-4o" && finished.stream)
    }
}

extension OpenExchangeTests {
    @Test("the head and first frame reach the client while the open row is still being made")
    func firstFrameDoesNotWaitForTheOpenRow() async throws {
        let release = Gate()
        // Signalled from the client connection's event loop when the first body bytes arrive: the
        // sink's `begin` holds a pool thread only until then, however busy the test process is.
        let firstFrameArrived = DispatchSemaphore(value: 0)
        let sink = NIOLockedValueBox<SlowBeginSink?>(nil)
        let harness = try await RecorderHarness(wrapSink: { inner in
            let slow = SlowBeginSink(inner: inner, gate: firstFrameArrived)
            sink.withLockedValue { $0 = slow }
            return slow
        }) { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream")])
            try await responder.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}\n\n")
            await release.wait()
            try await responder.send("data: [DONE]\n\n")
            try await responder.end()
        }
        defer { harness.remove() }
        let connection = try await harness.connect()
        try await connection.channel.pipeline.addHandler(FirstBodySignal(firstFrameArrived), position: .first).get()
        try await connection.send(
            .POST, "/v1/chat/completions", headers: [("content-type", "application/json")],
            body: Array(#"{"model":"gpt-4o","messages":[],"stream":true}"#.utf8))
        try await within(10, "the first frame at the client") {
            while let part = try await connection.next() {
                if case .body = part { return }
            }
        }
        release.open()
        _ = await connection.response()
        let recorded = try await harness.finish()
        #expect(recorded.map(\.ending) == [.complete])
        // A relay that waited for `begin` would have left it blocked until its 10 s ran out.
        let waited = try #require(sink.withLockedValue { $0 }).waitResult
        #expect(waited == .success, "the open row held the first frame back")
    }
}

/// A sink whose `begin` waits for a semaphore (10 s at most) before handing over, and remembers
/// whether the semaphore came.
private final class SlowBeginSink: InteractionSink, @unchecked Sendable {
    let inner: CassetteSink
    let gate: DispatchSemaphore
    private let result = NIOLockedValueBox<DispatchTimeoutResult?>(nil)

    init(inner: CassetteSink, gate: DispatchSemaphore) {
        self.inner = inner
        self.gate = gate
    }

    var waitResult: DispatchTimeoutResult? { result.withLockedValue { $0 } }

    func record(_ interaction: Interaction) { inner.record(interaction) }
    func begin(_ interaction: Interaction) {
        let waited = gate.wait(timeout: .now() + 10)
        result.withLockedValue { $0 = waited }
        inner.begin(interaction)
    }
    var queueDepth: Int { inner.queueDepth }
    func close() async { await inner.close() }
}

/// Signals once when the first frame's text arrives at the client connection, on its event loop:
/// placed first in the pipeline, it sees the socket's bytes before any decoding.
private final class FirstBodySignal: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let semaphore: DispatchSemaphore
    // Event-loop confined, like every handler's state.
    private var signalled = false

    init(_ semaphore: DispatchSemaphore) { self.semaphore = semaphore }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if !signalled, buffer.readableBytesView.firstRange(of: Array("Once".utf8)) != nil {
            signalled = true
            semaphore.signal()
        }
        context.fireChannelRead(data)
    }
}
