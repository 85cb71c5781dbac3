import AsyncHTTPClient
import Cassettes
import Dialects
import NIOCore
import NIOHTTP1
import Recorder
import SSE
import Testing

@Suite("Relay")
struct RelayTests {
    static let chatBody = #"{"model":"gpt-4o","messages":[{"role":"user","content":"Say hi"}],"stream":true}"#

    /// Splits bytes into irregular pieces, so chunk boundaries fall mid-line and mid-frame.
    static func pieces(_ bytes: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var index = 0
        var size = 1
        while index < bytes.count {
            let end = min(bytes.count, index + size)
            result.append(Array(bytes[index..<end]))
            index = end
            size = size * 3 % 97 + 1
        }
        return result
    }

    @Test("the client receives byte for byte what the upstream sent, end-to-end headers included, and the cassette holds every frame")
    func byteIdentical() async throws {
        let stream = try Fixtures.bytes("streams/openai_chat/text-stop.sse")
        let harness = try await RecorderHarness(upstreamName: "openai") { _, responder in
            try await responder.head(.ok, [
                ("content-type", "text/event-stream; charset=utf-8"), ("x-request-id", "req_123"),
                ("openai-processing-ms", "87"), ("connection", "keep-alive"), ("keep-alive", "timeout=5"),
            ])
            for piece in Self.pieces(stream) { try await responder.send(piece) }
            try await responder.end()
        }
        defer { harness.remove() }
        let result = try await harness.send(harness.post(
            "/openai/v1/chat/completions", body: Self.chatBody, headers: [("x-custom", "kept"), ("accept", "text/event-stream")]))
        #expect(result.error == nil)
        #expect(result.status == 200)
        #expect(result.body == stream)
        #expect(result.headers.first(name: "x-request-id") == "req_123")
        #expect(result.headers.first(name: "openai-processing-ms") == "87")
        #expect(result.headers.first(name: "keep-alive") == nil)

        let received = try #require(harness.upstream.requests.first)
        #expect(received.head.uri == "/v1/chat/completions")
        #expect(received.text == Self.chatBody)
        #expect(received.head.headers.first(name: "x-custom") == "kept")
        #expect(received.head.headers.first(name: "host") == "127.0.0.1:\(harness.upstream.port)")

        let recorded = try await harness.finish()
        let interaction = try #require(recorded.first)
        #expect(recorded.count == 1)
        #expect(interaction.ending == .complete)
        #expect(interaction.dialect == .openAIChat)
        #expect(interaction.provider == "openai")
        #expect(interaction.model == "gpt-4o")
        #expect(interaction.stream)
        #expect(interaction.endpoint == "/v1/chat/completions")
        #expect(interaction.request.body == Array(Self.chatBody.utf8))
        #expect(interaction.response?.status == 200)
        #expect(interaction.response?.headers.contains(HTTPField("x-request-id", "req_123")) == true)
        guard case .frames(let frames) = interaction.content else {
            Issue.record("the stream was not stored as frames")
            return
        }
        #expect(frames.map(\.bytes) == SSEParser.parse(stream).map(\.raw))
        #expect(frames.map(\.offsetMicros) == frames.map(\.offsetMicros).sorted())
        #expect((interaction.response?.offsetMicros ?? -1) <= (frames.first?.offsetMicros ?? -1))
    }

    @Test("each chunk reaches the client before the upstream sends the next (nothing waits for the end)")
    func chunkByChunk() async throws {
        let released = Gate()
        let harness = try await RecorderHarness { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream")])
            try await responder.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\n")
            // Only the client seeing the first frame through the recorder opens this.
            await released.wait()
            try await responder.send("data: [DONE]\n\n")
            try await responder.end()
        }
        defer { harness.remove() }
        let firstFrame = Array("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\n".utf8)
        let firstSeen = Gate()
        let client = harness.client
        let request = harness.post("/v1/chat/completions", body: Self.chatBody)
        let reader = Task {
            let response = try await client.execute(request, timeout: .seconds(30))
            var received: [UInt8] = []
            for try await chunk in response.body {
                received += chunk.readableBytesView
                if received.count >= firstFrame.count { firstSeen.open() }
            }
            return received
        }
        do {
            try await within(10, "the first frame before the upstream's end") { await firstSeen.wait() }
        } catch {
            released.open()
            throw error
        }
        released.open()
        let received = try await reader.value
        #expect(received == firstFrame + Array("data: [DONE]\n\n".utf8))
        let recorded = try await harness.finish()
        #expect(recorded.first?.ending == .complete)
        #expect(recorded.first?.content.frameCount == 2)
    }

    @Test("a request body streams upstream as it arrives, before the client has sent all of it")
    func requestBodyStreams() async throws {
        let firstHalfArrived = Gate()
        let first = Array(#"{"model":"gpt-4o","messages":[{"role":"user","content":"#.utf8)
        let second = Array(#""Hi"}],"stream":false}"#.utf8)
        let harness = try await RecorderHarness(onBodyBytes: { count in
            if count >= first.count { firstHalfArrived.open() }
        }) { request, responder in
            let body = #"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#
            try await responder.head(.ok, [("content-type", "application/json"), ("content-length", "\(body.utf8.count)")])
            try await responder.send(body)
            try await responder.end()
        }
        defer { harness.remove() }
        let (parts, continuation) = AsyncStream<ByteBuffer>.makeStream()
        var request = HTTPClientRequest(url: harness.url("/v1/chat/completions"))
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .stream(parts, length: .unknown)
        continuation.yield(ByteBuffer(bytes: first))
        async let response = harness.client.execute(request, timeout: .seconds(30))
        try await within(10, "the first half of the body at the upstream") { await firstHalfArrived.wait() }
        continuation.yield(ByteBuffer(bytes: second))
        continuation.finish()
        let answer = try await response
        #expect(answer.status == .ok)
        let recorded = try await harness.finish()
        #expect(harness.upstream.requests.first?.body == first + second)
        #expect(recorded.first?.request.body == first + second)
        #expect(recorded.first?.ending == .complete)
        #expect(recorded.first?.stream == false)
        #expect(recorded.first?.content == .body(Array(#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#.utf8)))
    }

    @Test("keep-alive: several requests on one client connection are each relayed and recorded")
    func keepAlive() async throws {
        let harness = try await RecorderHarness { request, responder in
            let body = "{\"echo\":\(request.body.count)}"
            try await responder.head(.ok, [("content-type", "application/json"), ("content-length", "\(body.utf8.count)")])
            try await responder.send(body)
            try await responder.end()
        }
        defer { harness.remove() }
        for index in 0..<5 {
            let result = try await harness.send(harness.post("/v1/chat/completions", body: String(repeating: "x", count: index + 1)))
            #expect(result.text == "{\"echo\":\(index + 1)}")
        }
        let recorded = try await harness.finish()
        #expect(recorded.count == 5)
        #expect(recorded.allSatisfy { $0.ending == .complete })
    }

    @Test("a path no upstream takes gets a 404 from the recorder and is not recorded")
    func unrouted() async throws {
        let harness = try await RecorderHarness(upstreamName: "openai") { _, responder in
            try await responder.head(.ok, [("content-length", "0")])
            try await responder.end()
        }
        defer { harness.remove() }
        let result = try await harness.send(harness.post("/elsewhere/v1/chat/completions", body: "{}"))
        #expect(result.status == 404)
        #expect(harness.upstream.requests.isEmpty)
        #expect(try await harness.finish().isEmpty)
    }
}
