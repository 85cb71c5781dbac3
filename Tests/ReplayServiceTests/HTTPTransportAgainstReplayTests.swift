import Dialects
import Logging
import Routing
import SSE
import Testing

@testable import Replay

/// The router's HTTP transport against the real replay server: nothing that crossed the wire is lost.
@Suite("HTTP transport against the replay server", .serialized)
struct HTTPTransportAgainstReplayTests {
    @Test("every frame sent before a cut reaches the router, then the failure, on every try")
    func framesBeforeCutArrive() async throws {
        let live = try await LiveReplay.start()
        let transport = HTTPUpstreamTransport(logger: Logger(label: "test"))
        for attempt in 0..<25 {
            let events = transport.send(UpstreamRequest(
                deploymentID: "gpt-4o", provider: .openai, dialect: .openAIChat, url: live.base + "/openai/v1/chat/completions",
                headers: [HTTPField("content-type", "application/json"), HTTPField("x-tapedeck-fault", "cut:after=4")],
                body: JSONWriter.bytes(LiveReplay.chat(stream: true)), stream: true))
            var frames = 0
            var last: UpstreamEvent?
            while let event = await events.next() {
                if case .frame = event { frames += 1 }
                last = event
            }
            #expect(frames == 4, "attempt \(attempt)")
            #expect(last == .failure(.reset), "attempt \(attempt)")
        }
        try await transport.shutdown()
        await live.stop()
    }
}
