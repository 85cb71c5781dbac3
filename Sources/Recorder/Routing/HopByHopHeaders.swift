import NIOHTTP1

/// The headers that describe one connection rather than the message (RFC 9110 §7.6.1), which a
/// proxy must not forward; everything else passes in order, untouched.
public enum HopByHopHeaders {
    /// Always connection-specific, whether or not `Connection` lists them.
    public static let names: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// The headers without hop-by-hop ones and without those `Connection` names.
    public static func removing(from headers: HTTPHeaders) -> HTTPHeaders {
        var listed = names
        for value in headers[canonicalForm: "connection"] {
            listed.insert(value.lowercased())
        }
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count)
        for (name, value) in headers where !listed.contains(name.lowercased()) {
            result.add(name: name, value: value)
        }
        return result
    }
}
