import AsyncHTTPClient
import Dialects
import Faults
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Replay
import Testing

@Suite("Connections, requests and stopping", .timeLimit(.minutes(1)))
struct ConnectionWireTests {
    @Test("keep-alive: two requests from an HTTP client go out on one connection")
    func keepAliveAcrossRequests() async throws {
        let responder = DemoResponder.make()
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                let first = try await client.execute(HTTPClientRequest(url: server.url("/json")), timeout: .seconds(30))
                #expect(String(buffer: try await first.body.collect(upTo: 1 << 20)) == #"{"ok":true}"#)
                let second = try await client.execute(HTTPClientRequest(url: server.url("/stream")), timeout: .seconds(30))
                let body = try await second.body.collect(upTo: 1 << 20)
                #expect(Array(body.readableBytesView) == ["one", "two", "three"].flatMap(Plans.frame))
            }
        }
        let first = try #require(await responder.reports.next())
        let second = try #require(await responder.reports.next())
        #expect(first.report.ending == .finished)
        #expect(second.report.ending == .finished)
        #expect(first.request.connectionID == second.report.connectionID)
        #expect(first.request.id != second.request.id)
    }

    @Test("keep-alive: pipelined requests are answered in order and the connection stays open")
    func pipelinedRequests() async throws {
        let responder = DemoResponder.make()
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/json") + rawGet("/stream"))
            let json = Array(#"{"ok":true}"#.utf8)
            let stream = ["one", "two", "three"].flatMap { chunk(Plans.frame($0)) } + chunkedTerminator
            var received: [UInt8] = []
            while !received.ends(with: stream) {
                guard case .bytes(let bytes) = try await socket.read(timeout: .seconds(10)) else { break }
                received += bytes
            }
            let text = String(decoding: received, as: UTF8.self)
            #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
            #expect(received.firstRange(of: json) != nil)
            #expect(received.ends(with: stream))
            #expect(try await socket.read(timeout: .milliseconds(200)) == .timedOut)
        }
        let first = try #require(await responder.reports.next())
        let second = try #require(await responder.reports.next())
        #expect(first.request.route == "/json")
        #expect(second.request.route == "/stream")
        #expect(first.report.connectionID == second.report.connectionID)
    }

    @Test("a client piling up more than 16 pipelined requests behind a response gets disconnected")
    func pipelineFloodIsCut() async throws {
        let responder = ScriptedResponder(WirePlan(steps: [.hang]))
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            // One request hangs; 16 may wait behind it; the 18th is one too many.
            try await socket.write(String(repeating: rawGet("/"), count: 18))
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(bytes.isEmpty)
            #expect(ending == .endOfStream)
        }
        let ended = try #require(await responder.reports.next())
        // The flood arrives in one read, so the cut-off may come before the plan reaches its hang.
        #expect([.hung, .failed].contains(ended.report.ending))
        #expect(ended.report.closedByClient == false)
    }

    @Test("a request asking for connection: close gets it after the response finishes")
    func connectionCloseRequest() async throws {
        try await withReplayServer(responder: DemoResponder.make()) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/json", extraHeaders: "connection: close\r\n"))
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(ending == .endOfStream)
            let response = try #require(RawResponse(bytes))
            #expect(response.headerLines.contains("connection: close"))
            #expect(response.body == Array(#"{"ok":true}"#.utf8))
        }
    }

    @Test("an HTTP/1.0 client gets the body unchunked, ended by closing the connection")
    func http10ClientGetsUnchunkedBody() async throws {
        let responder = ScriptedResponder(Plans.sse(["one", "two"]))
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write("GET / HTTP/1.0\r\n\r\n")
            let (bytes, ending) = try await socket.readUntilEnd()
            #expect(ending == .endOfStream)
            let response = try #require(RawResponse(bytes))
            #expect(response.statusLine == "HTTP/1.0 200 OK")
            #expect(!response.headerLines.contains { $0.hasPrefix("transfer-encoding") })
            #expect(response.body == Plans.frame("one") + Plans.frame("two"))
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .finished)
    }

    @Test("expect: 100-continue is answered before the body is sent")
    func expectContinueIsAnswered() async throws {
        let responder = DemoResponder.make()
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(
                "POST /json HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n")
            let interim = try await socket.read(atLeast: 25)
            #expect(String(decoding: interim.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n\r\n"))
            try await socket.write("hello")
            let (bytes, _) = try await socket.readUntilEnd()
            let all = String(decoding: interim.bytes + bytes, as: UTF8.self)
            #expect(all.contains("HTTP/1.1 200 OK"))
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.request.body == Array("hello".utf8))
    }

    @Test("the responder sees method, path with query, lowercased header names and the whole body")
    func requestReachesResponder() async throws {
        let responder = DemoResponder.make()
        let body = #"{"model":"gpt-4o","stream":true}"#
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                var request = HTTPClientRequest(url: server.url("/v1/chat/completions?trace=1"))
                request.method = .POST
                request.headers.add(name: "X-Tapedeck-Fault", value: "cut:after=2")
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await client.execute(request, timeout: .seconds(30))
                #expect(response.status == .notFound)
                _ = try await response.body.collect(upTo: 1 << 20)
            }
        }
        let request = try #require(await responder.reports.next()).request
        #expect(request.method == "POST")
        #expect(request.path == "/v1/chat/completions?trace=1")
        #expect(request.route == "/v1/chat/completions")
        #expect(request.query == "trace=1")
        #expect(request.headers.allSatisfy { $0.name == $0.name.lowercased() })
        #expect(request.headers.contains(HTTPField("x-tapedeck-fault", "cut:after=2")))
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.body == Array(body.utf8))
    }

    @Test("the responder never runs on an event loop thread, so it may block")
    func responderRunsOffTheEventLoop() async throws {
        let onEventLoop = NIOLockedValueBox<[Bool]>([])
        let responder = ScriptedResponder { _ in
            onEventLoop.withLockedValue { $0.append(MultiThreadedEventLoopGroup.currentEventLoop != nil) }
            return Plans.fixed("ok")
        }
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                for _ in 0..<3 {
                    let response = try await client.execute(HTTPClientRequest(url: server.url("/")), timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 20)
                }
            }
        }
        #expect(onEventLoop.withLockedValue { $0 } == [false, false, false])
    }

    @Test("a body over the limit is answered 413 without reaching the responder")
    func oversizedBodyIsRefused() async throws {
        let responder = DemoResponder.make()
        try await withReplayServer(responder: responder, maxRequestBodyBytes: 16) { server in
            try await withHTTPClient { client in
                var request = HTTPClientRequest(url: server.url("/json"))
                request.method = .POST
                request.body = .bytes(ByteBuffer(string: String(repeating: "x", count: 64)))
                let response = try await client.execute(request, timeout: .seconds(30))
                #expect(response.status == .payloadTooLarge)
                // The next request is the first the responder hears of.
                let next = try await client.execute(HTTPClientRequest(url: server.url("/json")), timeout: .seconds(30))
                #expect(next.status == .ok)
                _ = try await next.body.collect(upTo: 1 << 20)
            }
        }
        let first = try #require(await responder.reports.next())
        #expect(first.request.method == "GET")
    }

    @Test("a plan that cannot be carried out is answered 500 with the reason, and reported")
    func invalidPlanIsAnswered500() async throws {
        let responder = ScriptedResponder(WirePlan(steps: [.write(Array("early".utf8)), .finish]))
        try await withReplayServer(responder: responder) { server in
            try await withHTTPClient { client in
                let response = try await client.execute(HTTPClientRequest(url: server.url("/")), timeout: .seconds(30))
                #expect(response.status == .internalServerError)
                let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                #expect(text.contains("writes body bytes before any head"))
            }
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.planProblem == .bodyBeforeHead(step: 0))
        #expect(ended.report.status == 500)
        #expect(ended.report.ending == .finished)
    }

    @Test("a client that goes away during a pause ends the plan, reported as client_gone")
    func clientGoneDuringPause() async throws {
        let sleeper = GatedSleeper()
        let responder = ScriptedResponder(Plans.sse(["one", "two"], pause: 1_000_000))
        try await withReplayServer(responder: responder, sleeper: sleeper) { server in
            let socket = try await RawSocket.open(port: server.port)
            try await socket.write(rawGet("/"))
            let gate = try #require(await sleeper.gates.next())
            socket.disconnect()
            let ended = try #require(await responder.reports.next())
            #expect(ended.report.ending == .clientGone)
            #expect(ended.report.closedByClient)
            #expect(ended.report.writesCompleted == 1)
            // The server cut its own pause short; the test never opened the gate.
            #expect(gate.wasCancelled)
        }
    }

    @Test("a client that closes after a whole content-length body has seen a finished response")
    func clientClosingAfterWholeFixedBody() async throws {
        let sleeper = GatedSleeper()
        let plan = WirePlan(steps: [
            .head(status: 200, headers: [HTTPField("content-length", "5")]),
            .write(Array("hello".utf8)),
            .pause(microseconds: 1_000_000),
            .finish,
        ])
        let responder = ScriptedResponder(plan)
        try await withReplayServer(responder: responder, sleeper: sleeper) { server in
            let socket = try await RawSocket.open(port: server.port)
            try await socket.write(rawGet("/"))
            var received: [UInt8] = []
            while RawResponse(received)?.body != Array("hello".utf8) {
                guard case .bytes(let bytes) = try await socket.read(timeout: .seconds(10)) else { break }
                received += bytes
            }
            _ = try #require(await sleeper.gates.next())
            socket.disconnect()
            let ended = try #require(await responder.reports.next())
            #expect(ended.report.ending == .finished)
            #expect(ended.report.bodyBytesWritten == 5)
        }
    }

    @Test("a client that goes away during an hour-long real pause is noticed at once")
    func clientGoneDuringLongRealPause() async throws {
        let responder = ScriptedResponder(Plans.sse(["one", "two"], pause: 3_600_000_000))
        try await withReplayServer(responder: responder) { server in
            let socket = try await RawSocket.open(port: server.port)
            try await socket.write(rawGet("/"))
            let (bytes, _) = try await socket.read(atLeast: 1)
            #expect(!bytes.isEmpty)
            socket.disconnect()
            let ended = try #require(await responder.reports.next())
            #expect(ended.report.ending == .clientGone)
        }
    }

    @Test("a reader that does not read holds the plan back instead of the server buffering it")
    func slowReaderHoldsPlanBack() async throws {
        let sleeper = GatedSleeper()
        let megabyte = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let writes = 32
        let plan = WirePlan(
            steps: [Plans.sseHead] + Array(repeating: .write(megabyte), count: writes) + [.pause(microseconds: 1), .finish]
        )
        let responder = ScriptedResponder(plan)
        try await withReplayServer(responder: responder, sleeper: sleeper) { server in
            let socket = try await RawSocket.open(port: server.port)
            defer { socket.disconnect() }
            try await socket.write(rawGet("/", extraHeaders: "connection: close\r\n"))
            // 32 MiB is far more than loopback socket buffers hold, so while nobody reads, the
            // plan cannot get past its writes to the pause.
            try await Task.sleep(for: .seconds(1))
            #expect(sleeper.pausesRequested == 0)
            async let drained = socket.readUntilEnd()
            let gate = try #require(await sleeper.gates.next())
            gate.open()
            let (bytes, ending) = try await drained
            // Kept to counts and flags: a failure must not print 32 MiB.
            let endsWithTerminator = bytes.ends(with: chunkedTerminator)
            #expect(ending == .endOfStream)
            #expect(bytes.count > writes << 20)
            #expect(endsWithTerminator)
        }
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .finished)
        #expect(ended.report.bodyBytesWritten == writes << 20)
    }

    @Test("stop with a grace period lets a response in progress finish")
    func stopWithGraceLetsResponseFinish() async throws {
        let sleeper = GatedSleeper()
        let responder = ScriptedResponder(Plans.sse(["one", "two"], pause: 1_000_000))
        let server = try await ReplayServer.start(
            configuration: .init(port: 0), responder: responder, sleeper: sleeper, logger: quietLogger)
        let socket = try await RawSocket.open(port: server.port)
        defer { socket.disconnect() }
        try await socket.write(rawGet("/"))
        let gate = try #require(await sleeper.gates.next())
        let clock = ContinuousClock()
        let start = clock.now
        let stopping = Task { await server.stop(gracePeriod: .seconds(30)) }
        // The listener closes first; once new connections are refused the stop is under way.
        while let probe = try? await RawSocket.open(port: server.port) {
            probe.disconnect()
            try await Task.sleep(for: .milliseconds(10))
        }
        gate.open()
        await stopping.value
        #expect(clock.now - start < .seconds(20))
        let (bytes, ending) = try await socket.readUntilEnd()
        #expect(ending == .endOfStream)
        #expect(bytes.ends(with: chunkedTerminator))
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .finished)
        #expect(ended.report.writesCompleted == 2)
    }

    @Test("stop without a grace period cuts a paused response, reported as server_stopped")
    func stopCutsPausedResponse() async throws {
        let sleeper = GatedSleeper()
        let responder = ScriptedResponder(Plans.sse(["one", "two"], pause: 1_000_000))
        let server = try await ReplayServer.start(
            configuration: .init(port: 0), responder: responder, sleeper: sleeper, logger: quietLogger)
        let socket = try await RawSocket.open(port: server.port)
        defer { socket.disconnect() }
        try await socket.write(rawGet("/"))
        let gate = try #require(await sleeper.gates.next())
        await server.stop()
        let (bytes, ending) = try await socket.readUntilEnd()
        #expect(ending == .endOfStream)
        #expect(RawResponse(bytes)?.body == chunk(Plans.frame("one")))
        #expect(gate.wasCancelled)
        let ended = try #require(await responder.reports.next())
        #expect(ended.report.ending == .serverStopped)
        #expect(ended.report.writesCompleted == 1)
        #expect(ended.report.closedByClient == false)
        // A second stop just waits for the first.
        await server.stop()
        await server.waitUntilStopped()
    }

    @Test("waitUntilStopped returns once another task has stopped the server")
    func waitUntilStoppedFollowsStop() async throws {
        let server = try await ReplayServer.start(
            configuration: .init(port: 0), responder: DemoResponder.make(), logger: quietLogger)
        let stopped = NIOLockedValueBox(false)
        let waiter = Task {
            await server.waitUntilStopped()
            return stopped.withLockedValue { $0 }
        }
        // Give the waiter every chance to return early; it must not.
        try await Task.sleep(for: .milliseconds(100))
        stopped.withLockedValue { $0 = true }
        await server.stop()
        #expect(await waiter.value)
    }

    @Test("port 0 binds a free port, and a port in use is refused with a clear error")
    func bindingErrors() async throws {
        let server = try await ReplayServer.start(
            configuration: .init(port: 0), responder: DemoResponder.make(), logger: quietLogger)
        #expect(server.port > 0)
        await #expect(throws: ReplayServerError.self) {
            let clash = try await ReplayServer.start(
                configuration: .init(port: server.port), responder: DemoResponder.make(), logger: quietLogger)
            await clash.stop()
        }
        await server.stop()
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
