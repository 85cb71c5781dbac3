import NIOCore
import NIOHTTP1

/// Answers a request the HTTP decoder cannot parse with a 400 (431 for oversized headers) whose
/// JSON body says what was wrong, then closes the connection; NIO's own handler sends no body.
/// Goes right after `configureHTTPServerPipeline(withErrorHandling: false)`, in `serve` and `record`
/// (`route`, whose pipeline carries HTTP types parts, has its own handler giving the same answer).
public final class MalformedRequestResponder: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    public init() {}

    /// True between a response head and its end: then no second response may start.
    private var responding = false

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responding = true
        case .end: responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch Self.action(for: error, responding: responding) {
        case .pass: context.fireErrorCaught(error)
        case .close: context.close(promise: nil)
        case .answer(let status, let body):
            var head = HTTPResponseHead(version: .http1_1, status: status)
            head.headers.add(name: "content-type", value: "application/json")
            head.headers.add(name: "content-length", value: String(body.count))
            head.headers.add(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// What a server does about an error in its pipeline.
    public enum Action: Sendable {
        /// Not a parser error: pass it on.
        case pass
        /// A parser error in the middle of a response: no second response may start, so close.
        case close
        /// Answer with this status and JSON body, then close.
        case answer(HTTPResponseStatus, [UInt8])
    }

    /// What to do about `error`, given whether a response is being written.
    public static func action(for error: any Error, responding: Bool) -> Action {
        guard let parserError = error as? HTTPParserError else { return .pass }
        guard !responding else { return .close }
        let (status, body) = answer(to: parserError)
        return .answer(status, body)
    }

    /// The status and JSON body that answer a request the decoder failed on with `error`.
    public static func answer(to error: HTTPParserError) -> (status: HTTPResponseStatus, body: [UInt8]) {
        let (status, reason) = describe(error)
        return (status, Array(#"{"error":{"message":"tapedeck: \#(reason)","type":"invalid_request_error"}}"#.utf8))
    }

    static func describe(_ error: HTTPParserError) -> (HTTPResponseStatus, String) {
        switch error {
        case .headerOverflow:
            return (.requestHeaderFieldsTooLarge, "the request headers are too large")
        case .invalidMethod:
            return (.badRequest, "the request line has no valid HTTP method")
        case .invalidURL:
            return (.badRequest, "the request line has no valid target")
        case .invalidVersion, .invalidConstant:
            return (.badRequest, "the request line is not HTTP/1.x")
        case .invalidContentLength, .unexpectedContentLength:
            return (.badRequest, "the Content-Length header is invalid")
        case .invalidEOFState:
            return (.badRequest, "the request ended before its body was complete")
        default:
            return (.badRequest, "the request is not valid HTTP/1.1 (\(error))")
        }
    }
}
