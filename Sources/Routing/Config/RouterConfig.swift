import Dialects

/// The upstream providers a deployment can be, by their `litellm_params.model` prefix.
public enum Provider: String, Sendable, Hashable, CaseIterable, Codable {
    case openai
    case anthropic
    case gemini
}

/// One entry of `model_list`: a concrete upstream model behind a model group.
public struct Deployment: Sendable, Hashable, CustomStringConvertible {
    /// `model_info.id` when given, otherwise `<group>[<index in group>]`.
    public var id: String
    /// The `model_name` clients ask for.
    public var group: String
    public var provider: Provider
    /// The model name sent upstream (`litellm_params.model` without its provider prefix).
    public var model: String
    public var apiBase: String?
    /// The resolved key; a secret, never logged or described.
    public var apiKey: String?
    public var timeout: Duration?
    public var streamTimeout: Duration?
    public var numRetries: Int?
    /// `model_info.supports_assistant_prefill`; nil when the config does not say.
    public var supportsAssistantPrefill: Bool?

    public init(
        id: String, group: String, provider: Provider, model: String, apiBase: String? = nil,
        apiKey: String? = nil, timeout: Duration? = nil, streamTimeout: Duration? = nil,
        numRetries: Int? = nil, supportsAssistantPrefill: Bool? = nil
    ) {
        self.id = id
        self.group = group
        self.provider = provider
        self.model = model
        self.apiBase = apiBase
        self.apiKey = apiKey
        self.timeout = timeout
        self.streamTimeout = streamTimeout
        self.numRetries = numRetries
        self.supportsAssistantPrefill = supportsAssistantPrefill
    }

    /// `provider/model`, as `litellm_params.model` writes it.
    public var qualifiedModel: String { "\(provider.rawValue)/\(model)" }

    /// Identifies the deployment without its key.
    public var description: String { "\(id) (\(qualifiedModel))" }
}

/// A client API key listed under `keys:` with its own router settings (a Tapedeck addition:
/// LiteLLM keeps key settings in its database).
public struct KeySettings: Sendable, Hashable, CustomStringConvertible {
    /// The key itself; a secret.
    public var key: String
    public var settings: RouterSettings

    public init(key: String, settings: RouterSettings) {
        self.key = key
        self.settings = settings
    }

    public var description: String { "key settings (\(settings))" }
}

/// A LiteLLM proxy configuration as the router uses it.
public struct RouterConfig: Sendable {
    /// Every deployment in `model_list` order.
    public var deployments: [Deployment]
    /// `router_settings` over the defaults found in `litellm_settings`.
    public var settings: RouterSettings
    public var keys: [KeySettings]
    /// `general_settings.master_key`; a secret.
    public var masterKey: String?

    public init(deployments: [Deployment], settings: RouterSettings = RouterSettings(), keys: [KeySettings] = [], masterKey: String? = nil) {
        self.deployments = deployments
        self.settings = settings
        self.keys = keys
        self.masterKey = masterKey
    }

    /// Model group names in order of first appearance.
    public var groups: [String] {
        var seen = Set<String>()
        return deployments.compactMap { seen.insert($0.group).inserted ? $0.group : nil }
    }

    /// The deployments of a group in `model_list` order; empty for an unknown group.
    public func deployments(in group: String) -> [Deployment] {
        deployments.filter { $0.group == group }
    }

    /// The settings a request authenticated with `key` runs under: the key's own over the global ones.
    public func settings(forKey key: String?) -> RouterSettings {
        guard let key, let entry = keys.first(where: { $0.key == key }) else { return settings }
        return entry.settings.overriding(settings)
    }

    /// Whether a client key may use the router: anything goes when neither a master key nor
    /// `keys:` is configured; otherwise the master key or a listed key.
    public func authorizes(key: String?) -> Bool {
        if masterKey == nil && keys.isEmpty { return true }
        guard let key else { return false }
        return key == masterKey || keys.contains { $0.key == key }
    }
}
