import AsyncHTTPClient
import Dialects
import Faults
import NIOCore
import Replay
import Testing

@Suite("Finished responses on the wire", .timeLimit(.minutes(1)))
struct StreamingWireTests {
    @Test("a chunked stream arrives write by write, each one before the pause after it ends")
    func streamArrivesWriteByWrite() async throws {
        let texts = ["one", "two", "three"]
        let sleeper = GatedSleeper()
        let responder = ScriptedResponder(Plans.sse(texts, pause: 250_000))
        try await withReplayServer(responder: responder, sleeper: sleeper) { server in
            try await withHTTPClient { client in
                let response = try await client.execute(HTTPClientRequest(url: server.url("/stream")), timeout: .seconds(30))
                #expect(response.status == .ok)
                #expect(response.headers["transfer-encoding"] == ["chunked"])
                var body = response.body.makeAsyncIterator()
                var gates = sleeper.gates.makeAsyncIterator()
                var received: [UInt8] = []
                for index in texts.indices {
                    // The pause after this frame is held shut by the test, so the frame can only
                    // have arrived if the server flushed it before pausing.
                    let expected = texts[...index].flatMap(Plans.frame)
                    while received.count < expected.count, let part = try await body.next() {
                        received += part.readableBytesView
                    }
                    #expect(received == expected)
                    if index < texts.count - 1 {
                        let gate = try #require(await gates.next())
                        #expect(gate.duration == .milliseconds(250))
                        gate.open()
                    }
                }
                #expect(try await body.next() == nil)
            }
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .finished)
        #expect(ended.report.status == 200)
        #expect(ended.report.writesCompleted == 3)
        #expect(ended.report.bodyBytesWritten == texts.flatMap(Plans.frame).count)
        #expect(ended.report.stepsCompleted == 7)
    }

    @Test("the default sleeper waits out every pause in real time")
    func realPausesAreWaitedOut() async throws {
        let responder = ScriptedResponder(Plans.sse(["a", "b", "c"], pause: 100_000))
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await client.execute(HTTPClientRequest(url: server.url("/")), timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                // Sleeping guarantees a lower bound only; no upper bound is asserted.
                #expect(clock.now - start >= .milliseconds(200))
                #expect(Array(body.readableBytesView) == ["a", "b", "c"].flatMap(Plans.frame))
            }
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.endedAfter >= .milliseconds(200))
        #expect(try #require(ended.report.firstWriteAfter) < ended.report.endedAfter)
    }

    @Test("a pause before the head keeps the client waiting for any byte")
    func pauseBeforeHeadDelaysEverything() async throws {
        let sleeper = GatedSleeper()
        let plan = WirePlan(steps: [.pause(microseconds: 5_000_000)] + Plans.fixed("late").steps)
        let responder = ScriptedResponder(plan)
        try await withReplayServer(responder: responder, sleeper: sleeper) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/", extraHeaders: "connection: close\r\n"))
            let gate = try #require(await sleeper.gates.next())
            #expect(gate.duration == .seconds(5))
            #expect(try await socket.read(timeout: .milliseconds(200)) == .timedOut)
            gate.open()
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(ending == .endOfStream)
            let response = try #require(RawResponse(bytes))
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.body == Array("late".utf8))
        }
    }

    @Test("a content-length body arrives whole, with its length and without chunking")
    func contentLengthBody() async throws {
        let plan = WirePlan(steps: [
            .head(status: 200, headers: [HTTPField("content-type", "application/json"), HTTPField("content-length", "11")]),
            .write(Array("hello ".utf8)),
            .write(Array("world".utf8)),
            .finish,
        ])
        let responder = ScriptedResponder(plan)
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                let response = try await client.execute(HTTPClientRequest(url: server.url("/json")), timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                #expect(String(buffer: body) == "hello world")
                #expect(response.headers["content-length"] == ["11"])
            }
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/json", extraHeaders: "connection: close\r\n"))
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(ending == .endOfStream)
            let response = try #require(RawResponse(bytes))
            #expect(response.headerLines.contains("content-length: 11"))
            #expect(!response.headerLines.contains { $0.hasPrefix("transfer-encoding") })
            #expect(response.body == Array("hello world".utf8))
        }
    }

    @Test("hop-by-hop headers in a plan are replaced by the server's own framing")
    func hopByHopHeadersAreDropped() async throws {
        let plan = WirePlan(steps: [
            .head(
                status: 200,
                headers: [
                    HTTPField("Transfer-Encoding", "gzip, chunked"), HTTPField("Connection", "upgrade"),
                    HTTPField("Keep-Alive", "timeout=5"), HTTPField("x-request-id", "abc"),
                ]
            ),
            .write(Array("x".utf8)),
            .finish,
        ])
        try await withReplayServer(responder: ScriptedResponder(plan)) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/", extraHeaders: "connection: close\r\n"))
            let (bytes, _) = try await socket.readUntilEnd()
            let response = try #require(RawResponse(bytes))
            #expect(response.headerLines.contains("transfer-encoding: chunked"))
            #expect(response.headerLines.contains("connection: close"))
            #expect(response.headerLines.contains("x-request-id: abc"))
            #expect(!response.headerLines.contains { $0.contains("gzip") || $0.contains("upgrade") || $0.hasPrefix("keep-alive") })
            #expect(response.body == chunk(Array("x".utf8)) + chunkedTerminator)
        }
    }
}
