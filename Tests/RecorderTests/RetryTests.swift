import Cassettes
import NIOCore
import NIOHTTP1
import Recorder
import Testing

/// When the recorder may send a request upstream again: only when the upstream provably did not
/// get it, or when sending it twice is harmless (idempotent methods). A POST that may have reached
/// the upstream is never sent twice.
@Suite("Sending again on a failed pooled connection")
struct RetryTests {
    static let path = "/v1/chat/completions"

    /// Answers `{"n":INDEX}` on the request's connection.
    static func answer(_ request: UpstreamRequest, _ responder: UpstreamResponder) async throws {
        let body = "{\"n\":\(request.indexOnConnection)}"
        try await responder.head(.ok, [("content-type", "application/json"), ("content-length", "\(body.utf8.count)")])
        try await responder.send(body)
        try await responder.end()
    }

    /// A recorder in front of an upstream that answers the first request on each connection and
    /// meets every later one, read whole, with `failure` (a reset or a cut).
    static func harnessFailingReuse(_ failure: @escaping @Sendable (UpstreamResponder) async -> Void) async throws
        -> RecorderHarness
    {
        try await RecorderHarness { request, responder in
            if request.indexOnConnection > 0 {
                await failure(responder)
                return
            }
            try await Self.answer(request, responder)
        }
    }

    @Test("a POST the upstream reads and then resets on a reused connection is sent once; the client sees the reset")
    func resetAfterReadingIsNotResent() async throws {
        let harness = try await Self.harnessFailingReuse { await $0.reset() }
        defer { harness.remove() }
        let client = try await harness.connect()
        try await client.send(.POST, Self.path, body: Array("{\"a\":1}".utf8))
        let first = await client.response()
        #expect(first.status == 200)
        try await client.send(.POST, Self.path, body: Array("{\"a\":2}".utf8))
        let second = await client.response()
        #expect(second.status == nil)
        #expect(second.error != nil, "the client must see the reset as a failed connection")
        await client.close()

        let recorded = try await harness.finish()
        #expect(harness.upstream.requests.map(\.text) == ["{\"a\":1}", "{\"a\":2}"])
        #expect(harness.upstream.acceptedConnections == 1)
        #expect(recorded.map(\.ending) == [.complete, .reset])
    }

    @Test("a POST whose reused connection the upstream closes as it arrives is sent once; the client sees the connection end")
    func closeAfterReadingIsNotResent() async throws {
        let harness = try await Self.harnessFailingReuse { await $0.cut() }
        defer { harness.remove() }
        let client = try await harness.connect()
        try await client.send(.POST, Self.path, body: Array("{\"a\":1}".utf8))
        #expect(await client.response().status == 200)
        try await client.send(.POST, Self.path, body: Array("{\"a\":2}".utf8))
        let second = await client.response()
        #expect(second.status == nil)
        await client.close()

        let recorded = try await harness.finish()
        #expect(harness.upstream.requests.map(\.text) == ["{\"a\":1}", "{\"a\":2}"])
        #expect(recorded.map(\.ending) == [.complete, .truncated])
    }

    @Test("a GET whose reused connection the upstream closes as it arrives is sent again on a new one, the client none the wiser")
    func idempotentIsResent() async throws {
        let harness = try await Self.harnessFailingReuse { await $0.cut() }
        defer { harness.remove() }
        let client = try await harness.connect()
        for _ in 0..<2 {
            try await client.send(.GET, "/v1/models", body: nil)
            let reply = await client.response()
            #expect(reply.status == 200)
            #expect(reply.text == "{\"n\":0}")
        }
        await client.close()
        let recorded = try await harness.finish()
        #expect(harness.upstream.requests.map(\.head.method) == [.GET, .GET, .GET])
        #expect(harness.upstream.acceptedConnections == 2)
        #expect(recorded.map(\.ending) == [.complete, .complete])
    }

    @Test("a pooled connection the upstream closed while idle is not used: the POST goes once, on a new connection")
    func idleCloseIsNoticedBeforeReuse() async throws {
        let noticed = Gate()
        let harness = try await RecorderHarness { request, responder in
            try await Self.answer(request, responder)
            // Ends its side while idle; the recorder's close in return shows it noticed.
            try? await responder.channel.close(mode: .output)
            try? await responder.channel.closeFuture.get()
            noticed.open()
        }
        defer { harness.remove() }
        let client = try await harness.connect()
        try await client.send(.POST, Self.path, body: Array("{\"a\":1}".utf8))
        #expect(await client.response().status == 200)
        try await within(10, "the recorder to close the idle upstream connection") { await noticed.wait() }
        try await client.send(.POST, Self.path, body: Array("{\"a\":2}".utf8))
        let second = await client.response()
        #expect(second.status == 200)
        #expect(second.text == "{\"n\":0}")
        await client.close()
        let recorded = try await harness.finish()
        #expect(harness.upstream.requests.map(\.text) == ["{\"a\":1}", "{\"a\":2}"])
        #expect(harness.upstream.acceptedConnections == 2)
        #expect(recorded.map(\.ending) == [.complete, .complete])
    }
}
