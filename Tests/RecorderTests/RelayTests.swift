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
        let result = try await harness.send(
            "/openai/v1/chat/completions", body: Self.chatBody,
            headers: [("content-type", "application/json"), ("x-custom", "kept"), ("accept", "text/event-stream")])
        #expect(result.error == nil)
        #expect(result.ended)
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
        let connection = try await harness.connect()
        try await connection.send(.POST, "/v1/chat/completions", headers: [("content-type", "application/json")], body: Array(Self.chatBody.utf8))
        let reader = Task {
            await connection.response { body in if body.count >= firstFrame.count { firstSeen.open() } }
        }
        do {
            try await within(10, "the first frame before the upstream's end") { await firstSeen.wait() }
        } catch {
            released.open()
            throw error
        }
        released.open()
        let received = await reader.value
        #expect(received.ended)
        #expect(received.body == firstFrame + Array("data: [DONE]\n\n".utf8))
        await connection.close()
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
        let connection = try await harness.connect()
        try await connection.write(.head(HTTPRequestHead(
            version: .http1_1, method: .POST, uri: "/v1/chat/completions",
            headers: ["host": "127.0.0.1", "content-type": "application/json", "content-length": "\(first.count + second.count)"])))
        try await connection.write(.body(.byteBuffer(ByteBuffer(bytes: first))))
        try await within(10, "the first half of the body at the upstream") { await firstHalfArrived.wait() }
        try await connection.write(.body(.byteBuffer(ByteBuffer(bytes: second))))
        try await connection.write(.end(nil))
        let answer = await connection.response()
        #expect(answer.status == 200)
        await connection.close()
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
        let connection = try await harness.connect()
        for index in 0..<5 {
            try await connection.send(.POST, "/v1/chat/completions", body: Array(String(repeating: "x", count: index + 1).utf8))
            let result = await connection.response()
            #expect(result.text == "{\"echo\":\(index + 1)}")
            #expect(result.ended)
        }
        await connection.close()
        #expect(harness.upstream.requests.count == 5)
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
        let result = try await harness.send("/elsewhere/v1/chat/completions", body: "{}")
        #expect(result.status == 404)
        #expect(harness.upstream.requests.isEmpty)
        #expect(try await harness.finish().isEmpty)
    }

    @Test("an HTTP/1.0 client gets a chunked upstream stream as a body that ends with the connection")
    func http10Client() async throws {
        let stream = try Fixtures.bytes("streams/openai_chat/text-stop.sse")
        let harness = try await RecorderHarness { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream")])
            for piece in Self.pieces(stream) { try await responder.send(piece) }
            try await responder.end()
        }
        defer { harness.remove() }
        let connection = try await harness.connect()
        try await connection.send(.POST, "/v1/chat/completions", body: Array(Self.chatBody.utf8), version: .http1_0)
        var body: [UInt8] = []
        var head: HTTPResponseHead?
        while let part = try await connection.next() {
            switch part {
            case .head(let value): head = value
            case .body(let buffer): body += buffer.readableBytesView
            case .end: break
            }
        }
        #expect(head?.status == .ok)
        #expect(head?.headers.first(name: "connection") == "close")
        #expect(head?.headers.first(name: "transfer-encoding") == nil)
        #expect(body == stream)
        #expect(try await harness.finish().first?.ending == .complete)
    }
}
