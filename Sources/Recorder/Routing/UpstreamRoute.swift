import Foundation

/// One `--upstream [NAME=]URL`: a provider base URL, and the path prefix (`/NAME`) whose requests
/// go to it, or none for the upstream that takes every unprefixed path.
public struct UpstreamRoute: Sendable, Hashable {
    /// The prefix name; nil for a bare URL.
    public var name: String?
    /// `http` or `https`.
    public var scheme: String
    public var host: String
    public var port: Int
    /// The URL's path without its trailing slash (`""` or e.g. `/v1`), put before every forwarded path.
    public var basePath: String

    public init(name: String?, scheme: String, host: String, port: Int, basePath: String) {
        self.name = name
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `NAME=URL` or a bare `URL`.
    public init(parsing spec: String) throws(RecorderError) {
        var name: String?
        var url = spec
        if let equals = spec.firstIndex(of: "="), !spec[..<equals].contains("/"), !spec[..<equals].contains(":") {
            let candidate = String(spec[..<equals])
            guard !candidate.isEmpty, candidate.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
            else { throw .invalidUpstream(spec: spec, reason: "the name before = may only hold letters, digits, - _ .") }
            name = candidate
            url = String(spec[spec.index(after: equals)...])
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw .invalidUpstream(spec: spec, reason: "\(url) is not a URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw .invalidUpstream(spec: spec, reason: "the scheme must be http or https, not \(scheme)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalidUpstream(spec: spec, reason: "\(url) has no host")
        }
        guard components.query == nil, components.fragment == nil else {
            throw .invalidUpstream(spec: spec, reason: "an upstream URL cannot carry a query or fragment")
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.init(name: name, scheme: scheme, host: host, port: components.port ?? (scheme == "https" ? 443 : 80), basePath: path)
    }

    /// The `Host` header value to send upstream: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let defaultPort = scheme == "https" ? 443 : 80
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    /// `scheme://host[:port]`, without path.
    public var origin: String { "\(scheme)://\(hostHeader)" }

    /// What the cassette calls this upstream: its name, else the provider its host belongs to.
    public var provider: String {
        if let name { return name }
        let lowered = host.lowercased()
        if lowered.hasSuffix(".openai.azure.com") { return "azure" }
        if lowered.hasSuffix("openai.com") { return "openai" }
        if lowered.hasSuffix("anthropic.com") { return "anthropic" }
        if lowered.hasSuffix("googleapis.com") { return "gemini" }
        return lowered
    }
}
