import Dialects
import NIOHTTP1
@testable import Recorder
import Testing

@Suite("The response head a client gets")
struct ClientResponseHeadTests {
    static let upstream = HTTPResponseHead(
        version: .http1_1, status: .tooManyRequests,
        headers: [
            "content-type": "application/json", "transfer-encoding": "chunked", "connection": "keep-alive, x-hop",
            "x-hop": "1", "retry-after": "3",
        ])

    static func request(_ version: HTTPVersion, _ headers: HTTPHeaders = [:]) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: "/v1/chat/completions", headers: headers)
    }

    @Test("status and end-to-end headers pass in order; hop-by-hop ones and those Connection names do not")
    func passesEndToEnd() {
        let head = ClientResponseHead(upstream: Self.upstream, request: Self.request(.http1_1), draining: false)
        #expect(head.head.status == .tooManyRequests)
        #expect(head.head.version == .http1_1)
        #expect(head.head.headers.map(\.name) == ["content-type", "retry-after"])
        #expect(head.recordedHeaders == [HTTPField("content-type", "application/json"), HTTPField("retry-after", "3")])
        #expect(!head.closesClient)
    }

    /// (request version, request headers, draining, whether the client connection closes after the response)
    static let closing: [(HTTPVersion, HTTPHeaders, Bool, Bool)] = [
        (.http1_1, [:], false, false),
        (.http1_1, [:], true, true),  // the recorder shuts down
        (.http1_1, ["connection": "close"], false, true),  // the client asked
        (.http1_0, ["connection": "keep-alive"], false, true),  // no length: an HTTP/1.0 body ends with the connection
        (.http1_0, [:], false, true),
    ]

    @Test("the client connection closes after the response when it must, and is told so", arguments: closing)
    func closes(_ version: HTTPVersion, _ headers: HTTPHeaders, _ draining: Bool, _ closes: Bool) {
        let head = ClientResponseHead(upstream: Self.upstream, request: Self.request(version, headers), draining: draining)
        #expect(head.closesClient == closes)
        #expect(head.head.headers.first(name: "connection") == (closes ? "close" : nil))
        #expect(head.head.version == version)
        // What the cassette keeps does not depend on the client connection.
        #expect(head.recordedHeaders.map(\.name) == ["content-type", "retry-after"])
    }

    @Test("an HTTP/1.0 client keeps its connection when the body has a length")
    func lengthKeepsHTTP10() {
        var upstream = Self.upstream
        upstream.headers = ["content-type": "application/json", "content-length": "2"]
        let head = ClientResponseHead(upstream: upstream, request: Self.request(.http1_0, ["connection": "keep-alive"]), draining: false)
        #expect(!head.closesClient)
    }

    @Test("interim answers are the connection's business, except 101", arguments: [
        (HTTPResponseStatus.continue, true), (.processing, true), (.custom(code: 103, reasonPhrase: "Early Hints"), true),
        (.switchingProtocols, false), (.ok, false), (.badGateway, false),
    ])
    func interim(_ status: HTTPResponseStatus, _ isInterim: Bool) {
        #expect(ClientResponseHead.isInterim(HTTPResponseHead(version: .http1_1, status: status)) == isInterim)
    }
}
