import Dialects

/// Every routing setting in effect for one request, built-in defaults applied: the request's body
/// fields over the API key's settings over `router_settings` over `litellm_settings`.
///
/// Built once per request and handed to the resolver; nothing in it depends on the request's
/// mode (stream or not) or its endpoint, so both modes and every endpoint route identically.
public struct RoutePolicy: Sendable, Hashable {
    public var numRetries: Int
    /// The body's `num_retries`; wins over everything else.
    public var requestNumRetries: Int?
    public var retryPolicy: RetryPolicy
    public var fallbacks: FallbackMap
    public var contextWindowFallbacks: FallbackMap?
    public var contentPolicyFallbacks: FallbackMap?
    public var defaultFallbacks: [String]
    public var disableFallbacks: Bool
    public var maxFallbacks: Int
    public var retryBackoff: Duration
    public var maxRetryDelay: Duration
    public var midStreamFallback: MidStreamFallback
    public var continuation: ContinuationSetting
    /// The merged settings the timeouts are read from (deployments may override some).
    public var settings: RouterSettings
    /// Deployment count per model group: which groups exist, and which have more than one deployment.
    public var groupSizes: [String: Int]
    /// The first `litellm_params.num_retries` set among each group's deployments.
    public var groupRetries: [String: Int]

    public static let defaultTimeout: Duration = .seconds(600)
    public static let defaultMaxFallbacks = 5
    public static let defaultRetryBackoff: Duration = .milliseconds(500)
    public static let defaultMaxRetryDelay: Duration = .seconds(10)

    public init(settings: RouterSettings, requestNumRetries: Int? = nil, disableFallbacks: Bool = false, deployments: [Deployment]) {
        self.settings = settings
        self.numRetries = settings.numRetries ?? 0
        self.requestNumRetries = requestNumRetries
        self.retryPolicy = settings.retryPolicy ?? RetryPolicy()
        self.fallbacks = settings.fallbacks ?? FallbackMap(rules: [])
        self.contextWindowFallbacks = settings.contextWindowFallbacks
        self.contentPolicyFallbacks = settings.contentPolicyFallbacks
        self.defaultFallbacks = settings.defaultFallbacks ?? []
        self.disableFallbacks = disableFallbacks
        self.maxFallbacks = settings.maxFallbacks ?? Self.defaultMaxFallbacks
        self.retryBackoff = settings.retryBackoff ?? Self.defaultRetryBackoff
        self.maxRetryDelay = settings.maxRetryDelay ?? Self.defaultMaxRetryDelay
        self.midStreamFallback = settings.midStreamFallback ?? .continue
        self.continuation = settings.continuation ?? .auto
        var sizes: [String: Int] = [:]
        var retries: [String: Int] = [:]
        for deployment in deployments {
            sizes[deployment.group, default: 0] += 1
            if retries[deployment.group] == nil, let count = deployment.numRetries { retries[deployment.group] = count }
        }
        self.groupSizes = sizes
        self.groupRetries = retries
    }

    /// The policy for one request: the body's fields over the key's settings over the global ones.
    public init(config: RouterConfig, key: String?, request: RequestRoutingFields) {
        self.init(
            settings: request.settings.overriding(config.settings(forKey: key)),
            requestNumRetries: request.numRetries, disableFallbacks: request.disableFallbacks,
            deployments: config.deployments)
    }

    /// The deadlines for an attempt on a deployment (its own `timeout`/`stream_timeout` win).
    public func timeouts(for deployment: Deployment) -> AttemptTimeouts {
        let total = deployment.timeout ?? settings.timeout ?? Self.defaultTimeout
        let stream = deployment.streamTimeout ?? settings.streamTimeout ?? total
        return AttemptTimeouts(
            total: total, firstToken: settings.streamFirstTokenTimeout ?? stream, idle: settings.streamIdleTimeout ?? stream)
    }
}

/// The deadlines one attempt runs under.
public struct AttemptTimeouts: Sendable, Hashable {
    /// From sending a non-stream request to the end of its body.
    public var total: Duration
    /// From sending a stream request to its first content (text or tool call).
    public var firstToken: Duration
    /// Longest silence between two events of a stream.
    public var idle: Duration

    public init(total: Duration, firstToken: Duration, idle: Duration) {
        self.total = total
        self.firstToken = firstToken
        self.idle = idle
    }
}
