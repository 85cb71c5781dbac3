/// Why the recorder could not start or serve, in one sentence naming the option or address at fault.
public enum RecorderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An `--upstream` value that is not `[NAME=]http(s)://host[:port][/path]`.
    case invalidUpstream(spec: String, reason: String)
    /// Two `--upstream` values claim the same prefix (or both are bare).
    case duplicateUpstream(prefix: String)
    /// No `--upstream` was given.
    case noUpstream
    /// A listening socket could not be opened.
    case bindFailed(address: String, reason: String)
    /// The extra certificate authorities for upstream TLS could not be loaded.
    case invalidTrustRoots(file: String, reason: String)
    /// A session header name that HTTP cannot carry.
    case invalidSessionHeader(String)

    public var description: String {
        switch self {
        case .invalidUpstream(let spec, let reason):
            return "--upstream \(spec) is not usable: \(reason) (expected [NAME=]http(s)://host[:port][/path])"
        case .duplicateUpstream(let prefix):
            return prefix.isEmpty
                ? "more than one bare --upstream URL was given; only one may take unprefixed paths"
                : "more than one --upstream is named \(prefix)"
        case .noUpstream:
            return "no --upstream was given; the recorder needs at least one place to forward to"
        case .bindFailed(let address, let reason):
            return "cannot listen on \(address): \(reason)"
        case .invalidTrustRoots(let file, let reason):
            return "--upstream-ca \(file) cannot be used: \(reason)"
        case .invalidSessionHeader(let name):
            return "--session-header \(name) is not a valid HTTP header name"
        }
    }
}
