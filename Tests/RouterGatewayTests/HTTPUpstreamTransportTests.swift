import AsyncHTTPClient
import Dialects
import Foundation
import NIOCore
import Routing
import SSE
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with a started upstream and a transport, shutting both down afterwards.
func withUpstream(
    settings: HTTPUpstreamTransport.Settings = .init(), script: @escaping ScriptedUpstreamServer.Script,
    _ body: (ScriptedUpstreamServer, HTTPUpstreamTransport) async throws -> Void
) async throws {
    let upstream = ScriptedUpstreamServer(script: script)
    try await upstream.start()
    let transport = HTTPUpstreamTransport(settings: settings)
    do {
        try await body(upstream, transport)
    } catch {
        try? await transport.shutdown()
        await upstream.shutdown()
        throw error
    }
    try await transport.shutdown()
    await upstream.shutdown()
}

/// A request to the scripted upstream.
func upstreamRequest(_ upstream: ScriptedUpstreamServer, stream: Bool = true, path: String = "/v1/chat/completions") -> UpstreamRequest {
    UpstreamRequest(
        deploymentID: "test[0]", provider: .openai, dialect: .openAIChat, url: upstream.url(path),
        headers: [HTTPField("content-type", "application/json")],
        body: GatewayClient.requestBody(.openAIChat, model: "gpt-4o", stream: stream), stream: stream)
}

/// Every event of an exchange, in order.
func drain(_ events: UpstreamEvents) async -> [UpstreamEvent] {
    var all: [UpstreamEvent] = []
    while let event = await events.next() { all.append(event) }
    return all
}

/// The events without header details: heads become their status.
func shapes(_ events: [UpstreamEvent]) -> [String] {
    events.map { event in
        switch event {
        case .head(let status, _): return "head \(status)"
        case .frame: return "frame"
        case .body: return "body"
        case .end: return "end"
        case .failure(let failure): return "failure \(failure.rawValue)"
        }
    }
}

let blocks: [[UInt8]] = [
    Array("data: {\"n\":1}\n\n".utf8), Array(": keep-alive\n\n".utf8), Array("event: x\ndata: {\"n\":2}\n\n".utf8),
    Array("data: [DONE]\n\n".utf8),
]

@Suite("HTTP upstream transport", .timeLimit(.minutes(1)))
struct HTTPUpstreamTransportTests {
    @Test("a stream arrives as one frame per SSE block, however the upstream chunks its bytes")
    func framesPerBlock() async throws {
        let all = blocks.flatMap { $0 }
        // Three blocks and a half in one chunk, then the rest of the fourth split in two.
        let cut = blocks[0].count + blocks[1].count + blocks[2].count + 4
        let chunks = [Array(all[..<cut]), Array(all[cut..<(cut + 3)]), Array(all[(cut + 3)...])]
        try await withUpstream(script: { _ in
            [.head(status: 200, headers: [HTTPField("content-type", "text/event-stream")])] + chunks.map { .chunk($0) } + [.end]
        }) { upstream, transport in
            let events = await drain(transport.send(upstreamRequest(upstream)))
            #expect(shapes(events) == ["head 200", "frame", "frame", "frame", "frame", "end"])
            let frames = events.compactMap { event -> [UInt8]? in
                if case .frame(let bytes) = event { return bytes }
                return nil
            }
            #expect(frames == blocks)
        }
    }

    @Test("a body arrives as body bytes with the head's status and headers, then a clean end")
    func bodyAndHead() async throws {
        let body = Array("{\"id\":\"x\",\"choices\":[]}".utf8)
        try await withUpstream(script: { _ in
            [.head(status: 200, headers: [HTTPField("content-type", "application/json"), HTTPField("x-upstream", "yes")]), .chunk(body), .end]
        }) { upstream, transport in
            let events = await drain(transport.send(upstreamRequest(upstream, stream: false)))
            #expect(shapes(events).first == "head 200" && shapes(events).last == "end")
            guard case .head(_, let headers)? = events.first else { return }
            #expect(headers.contains(HTTPField("x-upstream", "yes")))
            let received = events.flatMap { event -> [UInt8] in
                if case .body(let bytes) = event { return bytes }
                return []
            }
            #expect(received == body)
            #expect(upstream.requests.first?.json?["stream"] == false)
        }
    }

    @Test("an error answer to a stream request is handed on as body bytes, not as frames")
    func errorToStreamIsBody() async throws {
        try await withUpstream(script: { _ in ProviderAnswer.error(.rateLimit, dialect: .openAIChat) }) { upstream, transport in
            let events = await drain(transport.send(upstreamRequest(upstream)))
            #expect(shapes(events) == ["head 429", "body", "end"])
        }
    }

    @Test("a reset before the head is a reset failure")
    func resetBeforeHead() async throws {
        try await withUpstream(script: { _ in [.reset] }) { upstream, transport in
            let events = await drain(transport.send(upstreamRequest(upstream)))
            #expect(shapes(events) == ["failure reset"])
        }
    }

    @Test("a reset after the head and two frames is a reset failure, never a clean end")
    func resetMidStream() async throws {
        try await withUpstream(script: { _ in
            [.head(status: 200, headers: ProviderAnswer.streamHeaders), .chunk(blocks[0]), .chunk(blocks[2]), .reset]
        }) { upstream, transport in
            let events = await drain(transport.send(upstreamRequest(upstream)))
            #expect(shapes(events) == ["head 200", "frame", "frame", "failure reset"])
        }
    }

    @Test("a connection closed before the chunked body ended is a reset failure, never a clean end")
    func cutMidStream() async throws {
        try await withUpstream(script: { _ in
            [.head(status: 200, headers: ProviderAnswer.streamHeaders), .chunk(blocks[0]), .close]
        }) { upstream, transport in
            let events = await drain(transport.send(upstreamRequest(upstream)))
            #expect(shapes(events) == ["head 200", "frame", "failure reset"])
        }
    }

    @Test("a body cut short of its content-length is a reset failure")
    func cutMidBody() async throws {
        try await withUpstream(script: { _ in
            [.head(status: 200, headers: ProviderAnswer.jsonHeaders(count: 100)), .chunk(Array(repeating: 0x20, count: 40)), .close]
        }) { upstream, transport in
            let events = await drain(transport.send(upstreamRequest(upstream, stream: false)))
            #expect(shapes(events).last == "failure reset")
            #expect(!shapes(events).contains("end"))
        }
    }

    @Test("a refused connection is a connection failure")
    func refused() async throws {
        let closed = ScriptedUpstreamServer(script: { _ in [] })
        try await closed.start()
        let port = closed.port
        await closed.shutdown()
        let transport = HTTPUpstreamTransport()
        let request = UpstreamRequest(
            deploymentID: "gone[0]", provider: .openai, dialect: .openAIChat, url: "http://127.0.0.1:\(port)/v1/chat/completions",
            headers: [], body: Array("{}".utf8), stream: true)
        let events = await drain(transport.send(request))
        try await transport.shutdown()
        #expect(shapes(events) == ["failure connection"])
    }

    @Test("a connection the listener never completes is a timeout failure")
    func connectTimeout() async throws {
        let listener = try FullBacklogListener()
        defer { listener.close() }
        let transport = HTTPUpstreamTransport(settings: .init(connectTimeout: .milliseconds(300)))
        let request = UpstreamRequest(
            deploymentID: "slow[0]", provider: .openai, dialect: .openAIChat, url: "http://127.0.0.1:\(listener.port)/v1/chat/completions",
            headers: [], body: Array("{}".utf8), stream: true)
        let events = await drain(transport.send(request))
        try await transport.shutdown()
        #expect(shapes(events) == ["failure timeout"])
    }

    @Test("cancelling the task waiting in next() returns nil promptly and drops the upstream connection")
    func cancellation() async throws {
        try await withUpstream(script: { _ in [.head(status: 200, headers: ProviderAnswer.streamHeaders), .chunk(blocks[0]), .hang] }) { upstream, transport in
            let events = transport.send(upstreamRequest(upstream))
            let first = await events.next()
            let second = await events.next()
            #expect(shapes([first, second].compactMap { $0 }) == ["head 200", "frame"])
            // The upstream sends nothing more, so the cancellation lands before or during the wait;
            // either way next() must return nil and the connection must go.
            let waiting = Task { await events.next() }
            waiting.cancel()
            #expect(await waiting.value == nil)
            #expect(await upstream.closedConnections.wait(forAtLeast: 1))
        }
    }

    @Test("cancel() after the head drops an unfinished response's connection")
    func cancelCall() async throws {
        try await withUpstream(script: { _ in [.head(status: 200, headers: ProviderAnswer.streamHeaders), .hang] }) { upstream, transport in
            let events = transport.send(upstreamRequest(upstream))
            let first = await events.next()
            #expect(shapes([first].compactMap { $0 }) == ["head 200"])
            events.cancel()
            #expect(await events.next() == nil)
            #expect(await upstream.closedConnections.wait(forAtLeast: 1))
        }
    }

    @Test("connections are pooled: sequential complete exchanges reuse one connection")
    func pooling() async throws {
        try await withUpstream(script: { request in ProviderAnswer(dialect: .openAIChat, model: "gpt-4o").steps(for: request) }) { upstream, transport in
            for _ in 0..<3 {
                let events = await drain(transport.send(upstreamRequest(upstream)))
                #expect(shapes(events).last == "end")
            }
            #expect(upstream.connectionCount == 1)
        }
    }

    @Test("transport errors are classified: timeouts, refusals and resets")
    func classification() {
        #expect(TransportFailure(classifying: HTTPClientError.connectTimeout, headReceived: false) == .timeout)
        #expect(TransportFailure(classifying: HTTPClientError.deadlineExceeded, headReceived: false) == .timeout)
        #expect(TransportFailure(classifying: HTTPClientError.remoteConnectionClosed, headReceived: true) == .reset)
        #expect(TransportFailure(classifying: HTTPClientError.remoteConnectionClosed, headReceived: false) == .reset)
        #expect(TransportFailure(classifying: IOError(errnoCode: ECONNRESET, reason: "read"), headReceived: true) == .reset)
        #expect(TransportFailure(classifying: IOError(errnoCode: ECONNREFUSED, reason: "connect"), headReceived: false) == .connection)
        #expect(TransportFailure(classifying: IOError(errnoCode: ETIMEDOUT, reason: "connect"), headReceived: false) == .timeout)
        #expect(TransportFailure(classifying: ChannelError.connectTimeout(.seconds(1)), headReceived: false) == .timeout)
    }
}

/// A loopback listener that never accepts, with its one-connection queue already full: the kernel
/// drops further connection attempts, so a client's connect hangs until its own timeout.
final class FullBacklogListener: @unchecked Sendable {
    let port: Int
    private var descriptors: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard listener >= 0, bound == 0, listen(listener, 0) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptors.append(listener)
        // Fill the accept queue; these connect in the background and are never accepted.
        for _ in 0..<2 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            _ = fcntl(filler, F_SETFL, fcntl(filler, F_GETFL) | O_NONBLOCK)
            var target = address
            _ = withUnsafePointer(to: &target) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            descriptors.append(filler)
        }
    }

    func close() {
        for descriptor in descriptors { _ = Glibc.close(descriptor) }
        descriptors = []
    }
}
