/// The registry of fault kinds: an explicit table from kind name to type, and the spec parser
/// that uses it. Adding a fault means adding its type to `kinds` (see CREATING_FAULTS.md).
public enum FaultCatalogue {
    /// Every fault kind, in the order the documentation lists them.
    public static let kinds: [any Fault.Type] = [
        NoFault.self,
        HTTPErrorFault.self,
        ResetBeforeHeadersFault.self,
        NoResponseFault.self,
        SlowFirstByteFault.self,
        ErrorEventFault.self,
        CutFault.self,
        ResetFault.self,
        StallFault.self,
        MalformedFault.self,
        DropTerminatorFault.self,
        SlowDripFault.self,
    ]

    /// The kind names, in table order.
    public static var kindNames: [String] { kinds.map { $0.kind } }

    /// The type registered under a kind name.
    public static func type(named kind: String) -> (any Fault.Type)? {
        kinds.first { $0.kind == kind }
    }

    /// Parses `KIND[:key=value,…]`, e.g. `http_error:status=429,retry_after=2` or `ok`.
    public static func parse(_ text: String) throws(FaultSpecError) -> any Fault {
        let spec = text.trimmedSpaces
        guard !spec.isEmpty else { throw .empty }
        let kindName: String
        var parameterText: String?
        if let colon = spec.firstIndex(of: ":") {
            kindName = spec[..<colon].trimmedSpaces
            let rest = spec[spec.index(after: colon)...].trimmedSpaces
            parameterText = rest.isEmpty ? nil : rest
        } else {
            kindName = spec
        }
        guard let type = type(named: kindName) else { throw .unknownKind(spec: spec, kind: kindName) }
        var parameters = try FaultParameters(spec: spec, parameterText: parameterText)
        let fault = try type.init(parameters: &parameters)
        if let unread = parameters.firstUnreadKey {
            throw .unknownKey(spec: spec, key: unread, kind: kindName, allowed: type.keys)
        }
        return fault
    }
}
