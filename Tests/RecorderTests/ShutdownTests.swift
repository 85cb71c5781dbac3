import Cassettes
import Dialects
import NIOCore
import NIOPosix
import Recorder
import Testing

@Suite("Shutdown")
struct ShutdownTests {
    static let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"stream":true}"#

    /// Streams one frame, waits for the gate, then finishes.
    static func gatedStream(_ gate: Gate, started: Gate) -> ScriptedUpstream.Script {
        return { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream")])
            try await responder.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\n")
            started.open()
            await gate.wait()
            try await responder.send("data: [DONE]\n\n")
            try await responder.end()
        }
    }

    @Test("on shutdown new connections are refused, health says draining, and a stream in flight finishes and is flushed")
    func drainsInFlight() async throws {
        let gate = Gate()
        let started = Gate()
        let harness = try await RecorderHarness(script: Self.gatedStream(gate, started: started))
        defer { harness.remove() }
        let connection = try await harness.connect()
        try await connection.send(.POST, "/v1/chat/completions", body: Array(Self.body.utf8))
        let reader = Task { await connection.response() }
        try await within(10, "the stream to start") { await started.wait() }
        let recorder = harness.recorder
        let shutdown = Task { await recorder.shutdown(gracePeriod: .seconds(30)) }
        try await within(10, "draining to begin") {
            while !recorder.isDraining { try await Task.sleep(for: .milliseconds(10)) }
        }
        let health = try await harness.admin("/healthz")
        #expect(health.status == 503)
        // The listener closes right after draining begins; a new connection is refused.
        try await within(10, "the listener to close") {
            while (try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: recorder.port).get().close()) != nil
            {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        gate.open()
        let response = await reader.value
        #expect(response.ended)
        #expect(response.text.hasSuffix("data: [DONE]\n\n"))
        await shutdown.value
        let recorded = try await harness.finish()
        #expect(recorded.count == 1)
        #expect(recorded.first?.ending == .complete)
    }

    @Test("streams still running at the deadline are cut, recorded and tagged, and run returns")
    func deadline() async throws {
        let started = Gate()
        let harness = try await RecorderHarness { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream")])
            try await responder.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\n")
            started.open()
            await responder.stallUntilClosed()
        }
        defer { harness.remove() }
        let connection = try await harness.connect()
        try await connection.send(.POST, "/v1/chat/completions", body: Array(Self.body.utf8))
        let reader = Task { await connection.response() }
        try await within(10, "the stream to start") { await started.wait() }
        let recorded = try await within(20, "shutdown past its deadline") {
            try await harness.finish(gracePeriod: .milliseconds(200))
        }
        #expect(await reader.value.ended == false)
        let interaction = try #require(recorded.first)
        #expect(interaction.ending == .clientAborted)
        #expect(interaction.tags.contains("recorder_shutdown"))
        #expect(interaction.content.frameCount == 1)
    }
}

