import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A request as the in-test upstream received it.
struct UpstreamRequest: Sendable {
    var head: HTTPRequestHead
    var body: [UInt8]
    /// 0 for the first request on its connection, 1 for the next…
    var indexOnConnection = 0

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A loopback HTTP server standing in for a provider: each request is answered by a script that
/// can stream slowly, wait for the test, end properly, cut the connection, reset it (SO_LINGER 0)
/// or stall. It keeps what it received and how many bytes its writes got through.
final class ScriptedUpstream: Sendable {
    typealias Script = @Sendable (UpstreamRequest, UpstreamResponder) async throws -> Void

    private let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let script: Script
    private let onBodyBytes: (@Sendable (Int) -> Void)?
    private let state = NIOLockedValueBox(State())
    private let runner = NIOLockedValueBox<Task<Void, Never>?>(nil)
    let port: Int

    private struct State {
        var requests: [UpstreamRequest] = []
        var acceptedConnections = 0
        var closedConnections = 0
    }

    /// `onBodyBytes` is told the running total of request body bytes as they arrive, before the
    /// request ends.
    /// With `tls`, the upstream speaks HTTPS.
    init(tls: NIOSSLContext? = nil, onBodyBytes: (@Sendable (Int) -> Void)? = nil, script: @escaping Script) async throws {
        self.script = script
        self.onBodyBytes = onBodyBytes
        listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        port = listener.channel.localAddress?.port ?? 0
        let task = Task<Void, Never> { [listener, self] in
            await withDiscardingTaskGroup { group in
                do {
                    try await listener.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await self.serve(connection) }
                        }
                    }
                } catch {
                    // The listener closed: the test is over.
                }
            }
        }
        runner.withLockedValue { $0 = task }
    }

    /// `http://127.0.0.1:PORT`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    var requests: [UpstreamRequest] { state.withLockedValue { $0.requests } }

    /// Connections accepted so far.
    var acceptedConnections: Int { state.withLockedValue { $0.acceptedConnections } }

    /// Connections that have closed (either side).
    var closedConnections: Int { state.withLockedValue { $0.closedConnections } }

    func stop() async {
        try? await listener.channel.close()
        let task = runner.withLockedValue { $0 }
        task?.cancel()
        await task?.value
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        state.withLockedValue { $0.acceptedConnections += 1 }
        defer { state.withLockedValue { $0.closedConnections += 1 } }
        let channel = connection.channel
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var index = 0
            for try await part in inbound {
                switch part {
                case .head(let value):
                    head = value
                    body = []
                case .body(let buffer):
                    body.append(contentsOf: buffer.readableBytesView)
                    onBodyBytes?(body.count)
                case .end:
                    guard let head else { continue }
                    let request = UpstreamRequest(head: head, body: body, indexOnConnection: index)
                    index += 1
                    state.withLockedValue { $0.requests.append(request) }
                    let responder = UpstreamResponder(channel: channel, outbound: outbound)
                    try await script(request, responder)
                    if responder.isClosed { return }
                }
            }
        }
    }
}

/// What a script does to answer one request.
final class UpstreamResponder: Sendable {
    let channel: any Channel
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    private let state = NIOLockedValueBox((sent: 0, closed: false))

    init(channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) {
        self.channel = channel
        self.outbound = outbound
    }

    /// Body bytes whose writes completed (the transport took them).
    var sentBytes: Int { state.withLockedValue { $0.sent } }
    var isClosed: Bool { state.withLockedValue { $0.closed } }

    func head(_ status: HTTPResponseStatus = .ok, _ headers: [(String, String)]) async throws {
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.add(name: name, value: value) }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: fields)))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
        state.withLockedValue { $0.sent += bytes.count }
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func end() async throws { try await outbound.write(.end(nil)) }

    /// Closes the connection mid-response: the peer sees the body end without its framing's end.
    func cut() async {
        state.withLockedValue { $0.closed = true }
        try? await channel.close()
    }

    /// Resets the connection (SO_LINGER 0 then close: the kernel sends RST).
    func reset() async {
        state.withLockedValue { $0.closed = true }
        if let provider = channel as? any SocketOptionProvider {
            try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }

    /// Says nothing more until the peer closes the connection.
    func stallUntilClosed() async {
        state.withLockedValue { $0.closed = true }
        try? await channel.closeFuture.get()
    }
}
