/// Why a fault spec (`KIND[:key=value,…]`, optionally scoped `MODEL=SPEC`) was refused; each
/// case reads as one sentence naming the spec, the part at fault and what is expected.
public enum FaultSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The spec is blank.
    case empty
    /// No fault kind has this name.
    case unknownKind(spec: String, kind: String)
    /// A parameter is not written `key=value`.
    case malformedParameter(spec: String, parameter: String)
    /// A key is given twice.
    case duplicateKey(spec: String, key: String)
    /// This kind takes no such key.
    case unknownKey(spec: String, key: String, kind: String, allowed: [String])
    /// A key this kind needs is missing.
    case missingKey(spec: String, key: String, expected: String)
    /// A value does not have the expected form.
    case invalidValue(spec: String, key: String, expected: String)
    /// `MODEL=SPEC` with nothing before the `=`.
    case emptyModel(spec: String)
    /// A capability assignment (`MODEL=capability`) that names no known capability or no model.
    case invalidCapability(text: String, reason: String)

    public var description: String {
        switch self {
        case .empty:
            return "fault spec is empty: write KIND[:key=value,…], e.g. cut:after=40"
        case .unknownKind(let spec, let kind):
            return "fault spec '\(spec)': unknown kind '\(kind)'; known kinds are "
                + FaultCatalogue.kindNames.joined(separator: ", ")
        case .malformedParameter(let spec, let parameter):
            return "fault spec '\(spec)': parameter '\(parameter)' must be written key=value"
        case .duplicateKey(let spec, let key):
            return "fault spec '\(spec)': '\(key)' is given more than once"
        case .unknownKey(let spec, let key, let kind, let allowed):
            let takes = allowed.isEmpty ? "takes no parameters" : "takes " + allowed.joined(separator: ", ")
            return "fault spec '\(spec)': unknown key '\(key)'; \(kind) \(takes)"
        case .missingKey(let spec, let key, let expected):
            return "fault spec '\(spec)': '\(key)' is required: \(expected)"
        case .invalidValue(let spec, let key, let expected):
            return "fault spec '\(spec)': '\(key)' must be \(expected)"
        case .emptyModel(let spec):
            return "fault spec '\(spec)': the model before '=' is empty; write MODEL=SPEC or just SPEC"
        case .invalidCapability(let text, let reason):
            return "capability '\(text)': \(reason)"
        }
    }
}
