import Dialects

/// One request to run in both modes under a planned upstream failure.
public struct Scenario: Sendable, Hashable {
    public var name: String
    /// The client endpoint: `/v1/chat/completions` (default), `/v1/responses` or `/v1/messages`.
    public var endpoint: String
    /// The client request body without `stream`; extra fields (`fallbacks`, `disable_fallbacks`, …)
    /// pass through to the target.
    public var request: JSONValue
    /// Fault schedule per upstream model: one spec, or a list applied attempt by attempt.
    public var faults: [String: [String]]
    /// Capabilities per upstream model, e.g. `rejects_prefill`.
    public var capabilities: [String: [String]]
    /// The API key the client sends, for per-key router settings; nil uses the target's key.
    public var apiKey: String?
    /// A sentence shown in reports.
    public var description: String?
    /// A recorded interaction whose conversation the request is built from (`request` fields
    /// override it); resolved against the cassette before the run.
    public var interactionID: String?

    public init(
        name: String, endpoint: String = "/v1/chat/completions", request: JSONValue, faults: [String: [String]] = [:],
        capabilities: [String: [String]] = [:], apiKey: String? = nil, description: String? = nil,
        interactionID: String? = nil
    ) {
        self.interactionID = interactionID
        self.name = name
        self.endpoint = endpoint
        self.request = request
        self.faults = faults
        self.capabilities = capabilities
        self.apiKey = apiKey
        self.description = description
    }

    /// The client dialect the endpoint speaks.
    public var dialect: Dialect? { Dialect.detect(path: endpoint) }

    /// The requested model group.
    public var model: String? { request["model"]?.stringValue }

    /// What the scenario set up that the differ needs.
    public var context: ScenarioContext {
        ScenarioContext(disableFallbacks: request["disable_fallbacks"]?.boolValue ?? false, requestedModel: model)
    }

    /// A one-line summary for reports: endpoint, model, faults, capabilities.
    public var summary: String {
        if let description { return description }
        var parts = ["\(endpoint) model \(model ?? "?")"]
        for model in faults.keys.sorted() {
            parts.append("\(model): \(faults[model]!.joined(separator: " then "))")
        }
        for model in capabilities.keys.sorted() {
            parts.append("\(model) \(capabilities[model]!.joined(separator: ", "))")
        }
        for key in ["fallbacks", "disable_fallbacks", "num_retries"] where request[key] != nil {
            parts.append("\(key)=\(JSONWriter.string(request[key]!))")
        }
        return parts.joined(separator: "; ")
    }
}
