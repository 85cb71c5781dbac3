import Dialects
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A provider stand-in on loopback for gateway and transport tests: every request is answered by
/// a script of wire steps, so a test decides exactly when each frame leaves, and can cut or reset
/// the connection where it likes. It records every request and counts closed connections.
final class ScriptedUpstreamServer: @unchecked Sendable {
    /// A request as the upstream received it.
    struct Received: Sendable {
        var path: String
        /// Lowercase names.
        var headers: [HTTPField]
        var body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
        var json: JSONValue? { try? JSONValue.parse(body) }
    }

    /// One thing the upstream does on the wire.
    enum Step: Sendable {
        case head(status: Int, headers: [HTTPField])
        case chunk([UInt8])
        /// Waits until the test opens the gate (or the client goes away).
        case wait(TestGate)
        case pause(Duration)
        /// Completes the response properly.
        case end
        /// Closes the connection cleanly (FIN) wherever the response is.
        case close
        /// Resets the connection (RST, SO_LINGER 0) wherever the response is.
        case reset
        /// Says nothing more until the client goes away.
        case hang
    }

    typealias Script = @Sendable (Received) -> [Step]

    private let lock = NSLock()
    private var received: [Received] = []
    private let script: Script
    private var serverChannel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>?
    private var acceptTask: Task<Void, Never>?
    private var connections: [any Channel] = []
    private(set) var port = 0
    /// Connections the client side closed or that broke, counted as they go down.
    let closedConnections = TestCounter()
    /// Requests received, counted as they arrive.
    let requestCount = TestCounter()

    init(script: @escaping Script) {
        self.script = script
    }

    var requests: [Received] { lock.withLock { received } }

    /// Connections accepted so far.
    var connectionCount: Int { lock.withLock { connections.count } }

    /// Base URL for a path prefix, e.g. `url("/primary/v1")`.
    func url(_ path: String = "") -> String { "http://127.0.0.1:\(port)\(path)" }

    func start() async throws {
        let closed = closedConnections
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
                    try child.pipeline.syncOperations.addHandler(CloseCounter(counter: closed))
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        port = channel.channel.localAddress?.port ?? 0
        serverChannel = channel
        acceptTask = Task {
            try? await channel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        }
    }

    func shutdown() async {
        try? await serverChannel?.channel.close()
        for connection in lock.withLock({ connections }) { try? await connection.close() }
        acceptTask?.cancel()
        await acceptTask?.value
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        let channel = connection.channel
        lock.withLock { connections.append(channel) }
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                case .body(let buffer):
                    body += Array(buffer.readableBytesView)
                case .end:
                    guard let requestHead = head else { continue }
                    let request = Received(
                        path: requestHead.uri, headers: requestHead.headers.map { HTTPField($0.name.lowercased(), $0.value) }, body: body)
                    lock.withLock { received.append(request) }
                    requestCount.increment()
                    let keepOpen = try await perform(script(request), outbound: outbound, channel: channel)
                    if !keepOpen { return }
                }
            }
        }
    }

    /// Plays the steps; false when the connection is finished with.
    private func perform(_ steps: [Step], outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, channel: any Channel) async throws -> Bool {
        for step in steps {
            switch step {
            case .head(let status, let headers):
                var fields = HTTPHeaders()
                for field in headers { fields.add(name: field.name, value: field.value) }
                try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields)))
            case .chunk(let bytes):
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
            case .wait(let gate):
                await Self.untilClosed(channel) { await gate.wait() }
                if !channel.isActive { return false }
            case .pause(let duration):
                try await Task.sleep(for: duration)
            case .end:
                try await outbound.write(.end(nil))
            case .close:
                try? await channel.close()
                return false
            case .reset:
                // SO_LINGER {1, 0}: the kernel's close sends RST instead of FIN.
                try? await (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                try? await channel.close()
                return false
            case .hang:
                try? await channel.closeFuture.get()
                return false
            }
        }
        return true
    }

    /// Runs `wait` until it returns or the connection closes, whichever comes first.
    private static func untilClosed(_ channel: any Channel, _ wait: @escaping @Sendable () async -> Void) async {
        let closed = TestGate()
        channel.closeFuture.whenComplete { _ in closed.open() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await wait() }
            group.addTask { await closed.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}

/// Counts a connection when it goes down.
private final class CloseCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let counter: TestCounter

    init(counter: TestCounter) {
        self.counter = counter
    }

    func channelInactive(context: ChannelHandlerContext) {
        counter.increment()
        context.fireChannelInactive()
    }
}
