import Dialects

/// Something an upstream model does or refuses regardless of faults.
public enum ModelCapability: String, CaseIterable, Hashable, Sendable {
    /// The model answers a request whose last message is an assistant turn (a prefill) with the
    /// provider's 400 prefill rejection, as Claude Sonnet 4.6 and Opus 4.6 do.
    case rejectsPrefill = "rejects_prefill"

    /// Parses `MODEL=capability`, as given to `--capability`.
    public static func parseAssignment(_ text: String) throws(FaultSpecError) -> (model: String, capability: ModelCapability) {
        guard let equals = text.lastIndex(of: "=") else {
            throw .invalidCapability(text: text, reason: "write MODEL=capability, e.g. claude-sonnet-4-6=rejects_prefill")
        }
        let model = text[..<equals].trimmedSpaces
        let name = text[text.index(after: equals)...].trimmedSpaces
        guard !model.isEmpty else { throw .invalidCapability(text: text, reason: "the model before '=' is empty") }
        guard let capability = ModelCapability(rawValue: name) else {
            throw .invalidCapability(text: text, reason: "unknown capability '\(name)'; known: " + knownNames)
        }
        return (model, capability)
    }

    /// The known capability names, comma-separated.
    static var knownNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// What one model does besides its fault schedule.
public struct ModelCapabilities: Hashable, Sendable {
    public var capabilities: Set<ModelCapability>

    public init(_ capabilities: Set<ModelCapability> = []) {
        self.capabilities = capabilities
    }

    public func contains(_ capability: ModelCapability) -> Bool { capabilities.contains(capability) }

    /// The response a model refuses this request with, or nil when it accepts it: with
    /// `rejects_prefill`, a request ending with an assistant turn gets the dialect's 400
    /// prefill rejection (in both modes, before any byte of an answer).
    public func refusal(of request: RequestView, codec: any DialectCodec) -> WirePlan? {
        guard contains(.rejectsPrefill), request.endsWithAssistantPrefill else { return nil }
        var plan = WirePlanBuilder()
        plan.errorResponse(codec.errorResponse(kind: .prefillRejected, message: nil, retryAfter: nil))
        return plan.plan
    }
}
