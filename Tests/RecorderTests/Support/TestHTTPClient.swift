import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// What the test client got for one request.
struct ClientResult: Sendable {
    /// Nil when the connection failed before any head.
    var status: Int?
    var headers: HTTPHeaders
    var body: [UInt8]
    /// Whether the response ended properly (its framing's end arrived).
    var ended: Bool
    /// Why it did not, if the connection failed.
    var error: (any Error)?

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A plain HTTP/1.1 client connection for tests: every part the server sent is handed over in
/// order, the ones before a close or reset included, so tests can compare bytes exactly.
final class TestHTTPConnection: @unchecked Sendable {
    let channel: any Channel
    // Touched only by the one test task that owns the connection.
    private var iterator: AsyncThrowingStream<HTTPClientResponsePart, any Error>.AsyncIterator

    private init(channel: any Channel, parts: AsyncThrowingStream<HTTPClientResponsePart, any Error>) {
        self.channel = channel
        self.iterator = parts.makeAsyncIterator()
    }

    /// Connects; with `autoRead` false nothing is read from the socket until `read()` is called.
    static func connect(port: Int, autoRead: Bool = true) async throws -> TestHTTPConnection {
        let (parts, continuation) = AsyncThrowingStream<HTTPClientResponsePart, any Error>.makeStream()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: autoRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PartForwarder(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestHTTPConnection(channel: channel, parts: parts)
    }

    /// Writes a request head (with `content-length` when the body is given) and the body.
    func send(
        _ method: HTTPMethod = .POST, _ uri: String, headers: [(String, String)] = [], body: [UInt8]?,
        version: HTTPVersion = .http1_1
    ) async throws {
        var fields = HTTPHeaders([("host", "127.0.0.1")])
        for (name, value) in headers { fields.add(name: name, value: value) }
        if let body { fields.replaceOrAdd(name: "content-length", value: "\(body.count)") }
        // One flush for the whole request: a server may answer and close as soon as it is complete.
        var parts: [HTTPClientRequestPart] = [.head(HTTPRequestHead(version: version, method: method, uri: uri, headers: fields))]
        if let body, !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        parts.append(.end(nil))
        let written = channel.eventLoop.makePromise(of: Void.self)
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1 {
                channel.writeAndFlush(part, promise: written)
            } else {
                channel.write(part, promise: nil)
            }
        }
        try await written.futureResult.get()
    }

    func write(_ part: HTTPClientRequestPart) async throws {
        try await channel.writeAndFlush(part).get()
    }

    /// The next response part; nil at a clean close.
    func next() async throws -> HTTPClientResponsePart? {
        try await iterator.next()
    }

    /// Reads one whole response; `onBody` sees the body as it grows.
    func response(onBody: ([UInt8]) -> Void = { _ in }) async -> ClientResult {
        var result = ClientResult(status: nil, headers: [:], body: [], ended: false, error: nil)
        do {
            while let part = try await next() {
                switch part {
                case .head(let head):
                    result.status = Int(head.status.code)
                    result.headers = head.headers
                case .body(let buffer):
                    result.body += buffer.readableBytesView
                    onBody(result.body)
                case .end:
                    result.ended = true
                    return result
                }
            }
        } catch {
            result.error = error
        }
        return result
    }

    /// Asks for one more read (when `autoRead` is off).
    func read() { channel.read() }

    func close() async { try? await channel.close() }
}

/// Hands every response part to the stream, then the close or the error that ended it.
private final class PartForwarder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let continuation: AsyncThrowingStream<HTTPClientResponsePart, any Error>.Continuation

    init(continuation: AsyncThrowingStream<HTTPClientResponsePart, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
    }
}
