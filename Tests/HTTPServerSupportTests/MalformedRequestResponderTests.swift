import HTTPServerSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@Suite("Answers to unparsable requests")
struct MalformedRequestResponderTests {
    /// (decoder error, status, the sentence in the body)
    static let answers: [(HTTPParserError, HTTPResponseStatus, String)] = [
        (.headerOverflow, .requestHeaderFieldsTooLarge, "the request headers are too large"),
        (.invalidMethod, .badRequest, "the request line has no valid HTTP method"),
        (.invalidURL, .badRequest, "the request line has no valid target"),
        (.invalidVersion, .badRequest, "the request line is not HTTP/1.x"),
        (.invalidConstant, .badRequest, "the request line is not HTTP/1.x"),
        (.invalidContentLength, .badRequest, "the Content-Length header is invalid"),
        (.unexpectedContentLength, .badRequest, "the Content-Length header is invalid"),
        (.invalidEOFState, .badRequest, "the request ended before its body was complete"),
        (.invalidChunkSize, .badRequest, "the request is not valid HTTP/1.1"),
    ]

    @Test("each decoder error gets its status and a sentence saying what was wrong", arguments: answers)
    func answer(_ error: HTTPParserError, _ status: HTTPResponseStatus, _ sentence: String) {
        guard case .answer(let answered, let body) = MalformedRequestResponder.action(for: error, responding: false) else {
            Issue.record("no answer to \(error)")
            return
        }
        #expect(answered == status)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix(#"{"error":{"message":"tapedeck: \#(sentence)"#), "\(text)")
        #expect(text.hasSuffix(#""type":"invalid_request_error"}}"#))
    }

    @Test("other errors pass on; a parser error in the middle of a response closes instead")
    func passOrClose() {
        struct Other: Error {}
        guard case .pass = MalformedRequestResponder.action(for: Other(), responding: false) else {
            Issue.record("another error was not passed on")
            return
        }
        guard case .close = MalformedRequestResponder.action(for: HTTPParserError.invalidMethod, responding: true) else {
            Issue.record("a second response would start in the middle of one")
            return
        }
    }

    @Test("in a pipeline: the answer is written whole, then the connection closes")
    func inPipeline() throws {
        let channel = EmbeddedChannel(handler: MalformedRequestResponder())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidMethod)
        guard case .head(let head) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no head")
            return
        }
        guard case .body(.byteBuffer(let body)) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no body")
            return
        }
        guard case .end = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no end")
            return
        }
        #expect(head.status == .badRequest)
        #expect(head.headers["content-length"] == [String(body.readableBytes)])
        #expect(head.headers["connection"] == ["close"])
        #expect(String(buffer: body).contains("the request line has no valid HTTP method"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test("in a pipeline, during a response: nothing more is written, the connection closes")
    func duringResponse() throws {
        let channel = EmbeddedChannel(handler: MalformedRequestResponder())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidMethod)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil)
        #expect(!channel.isActive)
    }
}
