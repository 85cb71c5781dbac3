#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AsyncHTTPClient
import Dialects
import Faults
import NIOCore
import Replay
import Testing

@Suite("Closed, reset and hung responses on the wire", .timeLimit(.minutes(1)))
struct BrokenResponseWireTests {
    static let frames = [Plans.frame("one"), Plans.frame("two")]
    static let cutStream = WirePlan(steps: [Plans.sseHead, .write(frames[0]), .write(frames[1]), .close])

    @Test("close mid chunked body: the HTTP client fails and the raw bytes end without the zero chunk")
    func closeMidChunkedBody() async throws {
        let responder = ScriptedResponder(Self.cutStream)
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                await #expect(throws: (any Error).self) {
                    let response = try await client.execute(HTTPClientRequest(url: server.url("/")), timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 20)
                }
            }
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/"))
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(ending == .endOfStream)
            let response = try #require(RawResponse(bytes))
            #expect(response.headerLines.contains("transfer-encoding: chunked"))
            #expect(response.body == chunk(Self.frames[0]) + chunk(Self.frames[1]))
            #expect(response.body.firstRange(of: chunkedTerminator) == nil)
        }
        for _ in 0..<2 {
            let ended = try #require(await responder.reports.next())
            #expect(ended.report.ending == .closed)
            #expect(ended.report.writesCompleted == 2)
            #expect(ended.report.closedByClient == false)
        }
    }

    @Test("close cuts a content-length body short: the client gets fewer bytes than declared, then EOF")
    func closeCutsContentLengthBody() async throws {
        let partial = Array(#"{"id":"ch"#.utf8)
        let plan = WirePlan(steps: [
            .head(status: 200, headers: [HTTPField("content-type", "application/json"), HTTPField("content-length", "100")]),
            .write(partial),
            .close,
        ])
        let responder = ScriptedResponder(plan)
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                await #expect(throws: (any Error).self) {
                    let response = try await client.execute(HTTPClientRequest(url: server.url("/")), timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 20)
                }
            }
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/"))
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(ending == .endOfStream)
            let response = try #require(RawResponse(bytes))
            #expect(response.headerLines.contains("content-length: 100"))
            #expect(response.body == partial)
        }
    }

    @Test("reset after frames: a raw read fails with ECONNRESET, connection reset by peer")
    func resetAfterFrames() async throws {
        let plan = WirePlan(steps: [Plans.sseHead, .write(Self.frames[0]), .write(Self.frames[1]), .reset])
        let responder = ScriptedResponder(plan)
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/"))
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(ending == .failed(errno: ECONNRESET))
            // Linux hands over data already received before it reports the reset, so both frames
            // are read, then the RST, and never the terminating chunk.
            #if os(Linux)
            #expect(RawResponse(bytes)?.body == chunk(Self.frames[0]) + chunk(Self.frames[1]))
            #endif
            #expect(bytes.firstRange(of: chunkedTerminator) == nil)
            #expect(String(cString: strerror(ECONNRESET)) == "Connection reset by peer")
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .reset)
        #expect(ended.report.writesCompleted == 2)
        #expect(ended.report.status == 200)
    }

    @Test("reset mid content-length body: a raw read fails with ECONNRESET")
    func resetMidFixedBody() async throws {
        let plan = WirePlan(steps: [
            .head(status: 200, headers: [HTTPField("content-length", "100")]), .write(Array("partial".utf8)), .reset,
        ])
        try await withReplayServer(responder: ScriptedResponder(plan)) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/"))
            let (_, ending) = try await socket.readUntilEnd()
            #expect(ending == .failed(errno: ECONNRESET))
        }
    }

    @Test("reset before headers: nothing arrives, the read fails with ECONNRESET, the HTTP client fails")
    func resetBeforeHeaders() async throws {
        let responder = ScriptedResponder(WirePlan(steps: [.reset]))
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/"))
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(bytes.isEmpty)
            #expect(ending == .failed(errno: ECONNRESET))
            try await withHTTPClient { client in
                await #expect(throws: (any Error).self) {
                    _ = try await client.execute(HTTPClientRequest(url: server.url("/")), timeout: .seconds(30))
                }
            }
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .reset)
        #expect(ended.report.status == nil)
        #expect(ended.report.headSentAfter == nil)
    }

    @Test("hang before headers: the client times out on an open socket, and stop still completes")
    func hangBeforeHeaders() async throws {
        let responder = ScriptedResponder(WirePlan(steps: [.hang]))
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/"))
            // Timed out, not ended: the connection is still open and silent.
            #expect(try await socket.read(timeout: .milliseconds(300)) == .timedOut)
            #expect(try await socket.read(timeout: .milliseconds(300)) == .timedOut)
            await server.stop()
            #expect(try await socket.read(timeout: .seconds(10)) == .endOfStream)
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .hung)
        #expect(ended.report.closedByClient == false)
        #expect(ended.report.status == nil)
    }

    @Test("hang: an HTTP client with a deadline gives up, and stop still completes")
    func hangMakesHTTPClientTimeOut() async throws {
        let responder = ScriptedResponder(WirePlan(steps: [.hang]))
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                await #expect(throws: HTTPClientError.deadlineExceeded) {
                    _ = try await client.execute(HTTPClientRequest(url: server.url("/")), timeout: .milliseconds(300))
                }
            }
            await server.stop()
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .hung)
    }

    @Test("stall after frames: the frames arrive, then silence until the client gives up, reported as hung")
    func stallAfterFrames() async throws {
        let plan = WirePlan(steps: [Plans.sseHead, .write(Self.frames[0]), .hang])
        let responder = ScriptedResponder(plan)
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            try await socket.write(rawGet("/"))
            var received: [UInt8] = []
            while RawResponse(received)?.body != chunk(Self.frames[0]) {
                guard case .bytes(let bytes) = try await socket.read(timeout: .seconds(10)) else { break }
                received += bytes
            }
            #expect(RawResponse(received)?.body == chunk(Self.frames[0]))
            #expect(try await socket.read(timeout: .milliseconds(300)) == .timedOut)
            socket.disconnect()
            let ended = try #require(await responder.reports.next())
            #expect(ended.report.ending == .hung)
            #expect(ended.report.closedByClient)
            #expect(ended.report.writesCompleted == 1)
        }
    }
}
