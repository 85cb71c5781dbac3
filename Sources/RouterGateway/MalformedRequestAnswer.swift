import HTTPServerSupport
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request the HTTP decoder cannot parse the way `serve` and `record` do (a 400, or 431
/// for oversized headers, whose JSON body says what was wrong), then closes the connection.
/// Hummingbird's own answer is an empty 400. Goes among the gateway connection's additional
/// handlers, after the conversion to HTTP types parts; the error goes no further.
final class MalformedRequestAnswer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// True between a response head and its end: then no second response may start.
    private var responding = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responding = true
        case .end: responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch MalformedRequestResponder.action(for: error, responding: responding) {
        case .pass: context.fireErrorCaught(error)
        case .close: context.close(promise: nil)
        case .answer(let status, let body):
            let head = HTTPResponse(
                status: .init(code: Int(status.code), reasonPhrase: status.reasonPhrase),
                headerFields: [.contentType: "application/json", .contentLength: String(body.count), .connection: "close"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
