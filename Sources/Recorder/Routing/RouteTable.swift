/// Where one client request goes: the upstream, the request target sent to it, and the full URL.
public struct ResolvedTarget: Sendable, Hashable {
    public var route: UpstreamRoute
    /// Path and query as sent upstream, e.g. `/v1/chat/completions?alt=sse`.
    public var target: String
    /// The path alone, e.g. `/v1/chat/completions`.
    public var path: String

    /// The absolute URL for the HTTP client.
    public var url: String { route.origin + target }
}

/// The `--upstream` list: `/NAME/...` goes to the upstream named NAME, anything else to the bare
/// one (if given).
public struct RouteTable: Sendable {
    public let routes: [UpstreamRoute]
    private let named: [String: UpstreamRoute]
    private let bare: UpstreamRoute?

    public init(_ routes: [UpstreamRoute]) throws(RecorderError) {
        guard !routes.isEmpty else { throw .noUpstream }
        var named: [String: UpstreamRoute] = [:]
        var bare: UpstreamRoute?
        for route in routes {
            if let name = route.name {
                guard named[name] == nil else { throw .duplicateUpstream(prefix: name) }
                named[name] = route
            } else {
                guard bare == nil else { throw .duplicateUpstream(prefix: "") }
                bare = route
            }
        }
        self.routes = routes
        self.named = named
        self.bare = bare
    }

    /// The upstream for a request target (`/openai/v1/chat/completions?x=1`), nil when none takes it.
    public func resolve(_ requestTarget: String) -> ResolvedTarget? {
        let queryStart = requestTarget.firstIndex(of: "?") ?? requestTarget.endIndex
        let path = String(requestTarget[..<queryStart])
        let query = String(requestTarget[queryStart...])
        guard path.hasPrefix("/") else { return nil }
        let firstSegment = path.dropFirst().prefix { $0 != "/" }
        if let route = named[String(firstSegment)] {
            var rest = String(path.dropFirst(1 + firstSegment.count))
            if rest.isEmpty { rest = "/" }
            return ResolvedTarget(route: route, target: route.basePath + rest + query, path: route.basePath + rest)
        }
        guard let bare else { return nil }
        return ResolvedTarget(route: bare, target: bare.basePath + path + query, path: bare.basePath + path)
    }
}
