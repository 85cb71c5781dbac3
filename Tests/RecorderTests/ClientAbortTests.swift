import Cassettes
import Dialects
import NIOCore
import Recorder
import Testing

@Suite("Client abort")
struct ClientAbortTests {
    @Test("a client that goes away mid-stream cancels the upstream request, and the interaction is still recorded")
    func abortMidStream() async throws {
        let upstreamClosed = Gate()
        let firstFrame = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}\n\n"
        let harness = try await RecorderHarness { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream")])
            try await responder.send(firstFrame)
            // Returns only when the recorder drops the upstream connection.
            await responder.stallUntilClosed()
            upstreamClosed.open()
        }
        defer { harness.remove() }
        let connection = try await harness.connect()
        try await connection.send(
            .POST, "/v1/chat/completions",
            body: Array(#"{"model":"gpt-4o","messages":[{"role":"user","content":"story"}],"stream":true}"#.utf8))
        try await within(10, "the first frame at the client") {
            while let part = try await connection.next() {
                if case .body = part { return }
            }
        }
        await connection.close()
        try await within(10, "the recorder to cancel the upstream request") { await upstreamClosed.wait() }

        let recorded = try await harness.finish()
        let interaction = try #require(recorded.first)
        #expect(interaction.ending == .clientAborted)
        #expect(interaction.content == .frames([Frame(offsetMicros: interaction.content.offsets.first ?? 0, bytes: Array(firstFrame.utf8))]))
        #expect(harness.metrics.snapshot().interactions[.clientAborted] == 1)
    }

    @Test("a client that goes away while the upstream has not answered yet is recorded as client_aborted")
    func abortBeforeHead() async throws {
        let requestArrived = Gate()
        let upstreamClosed = Gate()
        let harness = try await RecorderHarness { _, responder in
            requestArrived.open()
            await responder.stallUntilClosed()
            upstreamClosed.open()
        }
        defer { harness.remove() }
        let connection = try await harness.connect()
        try await connection.send(
            .POST, "/v1/chat/completions", body: Array(#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#.utf8))
        try await within(10, "the request at the upstream") { await requestArrived.wait() }
        await connection.close()
        try await within(10, "the recorder to cancel the upstream request") { await upstreamClosed.wait() }
        let recorded = try await harness.finish()
        #expect(recorded.first?.ending == .clientAborted)
        #expect(recorded.first?.response == nil)
    }
}

extension ResponseContent {
    /// Frame offsets, for comparing frames whose timing the test cannot know.
    var offsets: [Int64] {
        if case .frames(let frames) = self { return frames.map(\.offsetMicros) }
        return []
    }
}
