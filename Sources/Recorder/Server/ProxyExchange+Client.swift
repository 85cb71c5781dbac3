import Cassettes
import Dialects
import Foundation
import NIOCore
import NIOHTTP1

extension ProxyExchange {
    /// Whether the client's request carries a body (announced by its framing headers).
    var hasBody: Bool {
        if head.headers[canonicalForm: "transfer-encoding"].contains(where: { $0.lowercased() == "chunked" }) { return true }
        return (head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0) > 0
    }

    /// The request head as sent upstream: end-to-end headers kept in order, `Host` naming the
    /// upstream, the client's `Content-Length` kept (a chunked body is chunked again by the encoder).
    func upstreamRequestHead(_ resolved: ResolvedTarget) -> HTTPRequestHead {
        var headers = HopByHopHeaders.removing(from: head.headers)
        headers.replaceOrAdd(name: "host", value: resolved.route.hostHeader)
        // 100-continue is answered by nobody here; the body follows the head at once.
        headers.remove(name: "expect")
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: resolved.target, headers: headers)
    }

    /// Reads the rest of the request body; false when the client went away first.
    func drainRequestBody() async -> Bool {
        while let part = try? await connection.inbox.next() {
            if case .end = part { return true }
        }
        return false
    }

    /// Answers with a short text response of the recorder's own; false when the client is gone.
    func answerLocally(_ status: HTTPResponseStatus, _ text: String) async -> Bool {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: "\(text.utf8.count)")
        if connection.isDraining || !head.isKeepAlive { headers.add(name: "connection", value: "close") }
        do {
            try await outbound.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
            try await outbound.write(.end(nil))
            return true
        } catch {
            return false
        }
    }

    /// Closes the client connection with a TCP RST, as the upstream did.
    func resetClient() async {
        guard let provider = connection.channel as? any SocketOptionProvider else { return }
        try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
    }
}
