import Dialects

/// Reduces a request to what decides its answer: the endpoint without query or stream variant,
/// and the JSON body without fields that change from call to call but not the model's output.
///
/// The fingerprint uses it, and so does the replay matcher when it explains a near miss.
public struct RequestCanonicalizer: Sendable {
    /// Top-level body fields ignored: transport mode, caller identity, bookkeeping.
    public var volatileFields: Set<String>

    /// The fields every dialect's clients vary without changing what the model is asked.
    public static let defaultVolatileFields: Set<String> = [
        "stream", "stream_options", "user", "metadata", "request_id", "requestId", "idempotency_key",
        "timestamp", "created", "store", "service_tier", "safety_identifier", "prompt_cache_key",
    ]

    public init(volatileFields: Set<String> = RequestCanonicalizer.defaultVolatileFields) {
        self.volatileFields = volatileFields
    }

    /// The path without query, with Gemini's stream method named as its non-stream twin
    /// (`:streamGenerateContent` → `:generateContent`) so both modes share a fingerprint.
    public func endpoint(_ pathOrTarget: String) -> String {
        let path = pathOrTarget.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
            .map(String.init) ?? pathOrTarget
        return path.replacingOccurrences(of: ":streamGenerateContent", with: ":generateContent")
    }

    /// The body without volatile top-level fields.
    public func body(_ json: JSONValue) -> JSONValue {
        guard case .object(var members) = json else { return json }
        for field in volatileFields { members.removeValue(forKey: field) }
        return .object(members)
    }

    /// Canonical body bytes: sorted keys, no whitespace, volatile fields gone. A body that is not
    /// JSON is kept as it is.
    public func bodyBytes(_ body: [UInt8]) -> [UInt8] {
        guard !body.isEmpty, let json = try? JSONValue.parse(body) else { return body }
        return JSONWriter.bytes(self.body(json))
    }
}
