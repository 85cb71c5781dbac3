import Dialects

/// One complete HTTP request as the replay server received it, handed to a `ReplayResponder`.
public struct ReplayRequest: Hashable, Sendable {
    /// Unique within one server's life; a `WireReport` names the request it describes by this id.
    public var id: Int
    /// Unique within one server's life; requests sharing it arrived on one keep-alive connection.
    public var connectionID: Int
    /// The method as sent, e.g. `POST`.
    public var method: String
    /// The request target as sent: path and query, e.g. `/v1beta/models/x:streamGenerateContent?alt=sse`.
    public var path: String
    /// Every header in arrival order, names lowercased, values untouched.
    public var headers: [HTTPField]
    /// The whole request body.
    public var body: [UInt8]

    public init(
        id: Int, connectionID: Int, method: String, path: String, headers: [HTTPField], body: [UInt8]
    ) {
        self.id = id
        self.connectionID = connectionID
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// The path without its query.
    public var route: Substring {
        path.prefix { $0 != "?" }
    }

    /// The query after `?`, or nil when the target has none.
    public var query: Substring? {
        guard let mark = path.firstIndex(of: "?") else { return nil }
        return path[path.index(after: mark)...]
    }

    /// The first value of a header; `name` is matched case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }
}
