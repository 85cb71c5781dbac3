import Dialects

/// The routing fields a client may put in a request body, as LiteLLM's proxy honours them.
public struct RequestRoutingFields: Sendable, Hashable {
    public var fallbacks: FallbackMap?
    public var contextWindowFallbacks: FallbackMap?
    public var contentPolicyFallbacks: FallbackMap?
    public var numRetries: Int?
    public var disableFallbacks: Bool

    public init(
        fallbacks: FallbackMap? = nil, contextWindowFallbacks: FallbackMap? = nil,
        contentPolicyFallbacks: FallbackMap? = nil, numRetries: Int? = nil, disableFallbacks: Bool = false
    ) {
        self.fallbacks = fallbacks
        self.contextWindowFallbacks = contextWindowFallbacks
        self.contentPolicyFallbacks = contentPolicyFallbacks
        self.numRetries = numRetries
        self.disableFallbacks = disableFallbacks
    }

    /// Body fields the router consumes; they are removed before a body goes upstream.
    public static let fieldNames: Set<String> = [
        "fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "num_retries", "disable_fallbacks",
        "mock_testing_fallbacks",
    ]

    /// Reads the fields from a request body for a request to `group`. A plain list of names
    /// (`"fallbacks": ["b", "c"]`) applies to `group`; a LiteLLM-style list of mappings is taken as is.
    public static func parse(body: JSONValue, group: String) throws(RequestFieldError) -> RequestRoutingFields {
        var fields = RequestRoutingFields()
        fields.fallbacks = try fallbackMap(body["fallbacks"], field: "fallbacks", group: group)
        fields.contextWindowFallbacks = try fallbackMap(
            body["context_window_fallbacks"], field: "context_window_fallbacks", group: group)
        fields.contentPolicyFallbacks = try fallbackMap(
            body["content_policy_fallbacks"], field: "content_policy_fallbacks", group: group)
        if let value = body["num_retries"], !value.isNull {
            guard let count = value.intValue, count >= 0 else {
                throw .invalid(field: "num_retries", reason: "expected a non-negative whole number")
            }
            fields.numRetries = count
        }
        if let value = body["disable_fallbacks"], !value.isNull {
            guard let flag = value.boolValue else { throw .invalid(field: "disable_fallbacks", reason: "expected true or false") }
            fields.disableFallbacks = flag
        }
        return fields
    }

    /// These fields as a settings layer (to put over the key's settings).
    public var settings: RouterSettings {
        RouterSettings(
            numRetries: numRetries, fallbacks: fallbacks, contextWindowFallbacks: contextWindowFallbacks,
            contentPolicyFallbacks: contentPolicyFallbacks)
    }

    private static func fallbackMap(_ value: JSONValue?, field: String, group: String) throws(RequestFieldError) -> FallbackMap? {
        guard let value, !value.isNull else { return nil }
        guard let items = value.arrayValue else {
            throw .invalid(field: field, reason: "expected a list of model groups or of {group: [fallbacks]} objects")
        }
        var names: [String] = []
        var rules: [FallbackRule] = []
        for item in items {
            if let name = item.stringValue {
                names.append(name)
            } else if let object = item.objectValue {
                for key in object.keys.sorted() {
                    guard let targets = object[key]?.arrayValue?.compactMap(\.stringValue),
                        targets.count == object[key]?.arrayValue?.count
                    else {
                        throw .invalid(field: field, reason: "the fallbacks of \"\(key)\" must be a list of model group names")
                    }
                    rules.append(FallbackRule(group: key, targets: targets))
                }
            } else {
                throw .invalid(field: field, reason: "expected model group names or {group: [fallbacks]} objects")
            }
        }
        if !names.isEmpty { rules.insert(FallbackRule(group: group, targets: names), at: 0) }
        return FallbackMap(rules: rules)
    }
}

/// Why a request's routing fields were refused.
public enum RequestFieldError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): return "request field \(field): \(reason)."
        }
    }
}
