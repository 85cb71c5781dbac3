import Dialects
import NIOHTTP1

/// An upstream response head as the client gets it: hop-by-hop headers dropped, and
/// `connection: close` when the client connection must end with this response (shutdown, a client
/// that asked for it, or an HTTP/1.0 client that cannot be sent chunks of a body without a length).
struct ClientResponseHead: Sendable {
    /// What the client is sent.
    let head: HTTPResponseHead
    /// The end-to-end headers, as the cassette keeps them.
    let recordedHeaders: [HTTPField]
    /// Whether the client connection closes after this response.
    let closesClient: Bool

    init(upstream: HTTPResponseHead, request: HTTPRequestHead, draining: Bool) {
        let headers = HopByHopHeaders.removing(from: upstream.headers)
        recordedHeaders = headers.map { HTTPField($0.name, $0.value) }
        closesClient = draining || !request.isKeepAlive
            || (request.version.minor == 0 && !headers.contains(name: "content-length"))
        var head = HTTPResponseHead(version: request.version, status: upstream.status, headers: headers)
        if closesClient { head.headers.replaceOrAdd(name: "connection", value: "close") }
        self.head = head
    }

    /// Whether `head` is an interim answer (1xx other than 101), the connection's business, not the client's.
    static func isInterim(_ head: HTTPResponseHead) -> Bool {
        (100..<200).contains(head.status.code) && head.status != .switchingProtocols
    }
}
