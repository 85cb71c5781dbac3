import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin port: `/metrics` (Prometheus text) and `/healthz` (200 serving, 503 draining). One
/// request per connection, so shutdown never waits on an idle scraper.
final class AdminServer: Sendable {
    /// An admin response: status, content type, body.
    struct Reply: Sendable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String
    }

    typealias Responder = @Sendable (HTTPRequestHead) -> Reply

    private let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let respond: Responder
    private let logger: Logger

    /// The bound port.
    let port: Int

    static func bind(host: String, port: Int, group: any EventLoopGroup, logger: Logger, respond: @escaping Responder)
        async throws(RecorderError) -> AdminServer
    {
        do {
            let listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
            return AdminServer(listener: listener, respond: respond, logger: logger)
        } catch {
            throw .bindFailed(address: "\(host):\(port)", reason: "\(error)")
        }
    }

    private init(
        listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        respond: @escaping Responder, logger: Logger
    ) {
        self.listener = listener
        self.respond = respond
        self.logger = logger
        self.port = listener.channel.localAddress?.port ?? 0
    }

    /// Serves until `close()`.
    func run() async {
        await withDiscardingTaskGroup { group in
            do {
                try await listener.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            } catch {
                logger.debug("admin listener ended", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Stops accepting.
    func close() {
        listener.channel.close(promise: nil)
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var requestHead: HTTPRequestHead?
            for try await part in inbound {
                if case .head(let head) = part { requestHead = head }
                // Answer once the request is read whole, so closing cannot cut the client's sending.
                guard case .end = part, let head = requestHead else { continue }
                let reply = respond(head)
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: reply.contentType)
                headers.add(name: "content-length", value: "\(reply.body.utf8.count)")
                headers.add(name: "connection", value: "close")
                try await outbound.write(.head(HTTPResponseHead(version: head.version, status: reply.status, headers: headers)))
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: reply.body))))
                try await outbound.write(.end(nil))
                return
            }
        }
    }
}
