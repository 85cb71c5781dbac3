import Dialects

/// What the router does when a stream fails after content already reached the client.
public enum MidStreamFallback: String, Sendable, Hashable, CaseIterable, Codable {
    /// Fail over and ask the fallback to continue the text the client already has.
    case `continue`
    /// Fail over with the original request and drop the already-sent prefix of the new answer.
    case restart
    /// End the stream with the error (what gateways without mid-stream fallback do).
    case disabled
}

/// Which continuation request a `continue` mid-stream fallback sends.
public enum ContinuationSetting: String, Sendable, Hashable, CaseIterable, Codable {
    /// Prefill to targets whose `model_info` says they support it, a user message to all others.
    case auto
    /// Always an assistant prefill (reproduces gateways that send it blindly).
    case prefill
    /// Always the partial answer as an assistant turn followed by a user turn asking to continue.
    case userMessage = "user_message"
}

/// LiteLLM's error classes as `retry_policy` names them.
public enum RetryClass: String, Sendable, Hashable, CaseIterable, Codable {
    case badRequest = "BadRequestErrorRetries"
    case authentication = "AuthenticationErrorRetries"
    case timeout = "TimeoutErrorRetries"
    case rateLimit = "RateLimitErrorRetries"
    case contentPolicy = "ContentPolicyViolationErrorRetries"
    case internalServer = "InternalServerErrorRetries"

    /// The class LiteLLM would raise for an error of this kind.
    public init(_ kind: ErrorKind) {
        switch kind {
        case .rateLimit: self = .rateLimit
        case .timeout: self = .timeout
        case .overloaded, .serverError, .connection, .malformed: self = .internalServer
        case .auth: self = .authentication
        case .contentPolicy: self = .contentPolicy
        case .contextWindow, .badRequest, .notFound, .prefillRejected: self = .badRequest
        }
    }
}

/// Retry counts per error class (`retry_policy`); a class it does not name uses `num_retries`.
public struct RetryPolicy: Sendable, Hashable {
    public var counts: [RetryClass: Int]

    public init(_ counts: [RetryClass: Int] = [:]) {
        self.counts = counts
    }

    public subscript(retryClass: RetryClass) -> Int? { counts[retryClass] }
}

/// One `{group: [targets]}` entry of a fallback list.
public struct FallbackRule: Sendable, Hashable {
    /// A model group, a provider-stripped group name, or `*` for every group.
    public var group: String
    public var targets: [String]

    public init(group: String, targets: [String]) {
        self.group = group
        self.targets = targets
    }
}

/// An ordered fallback list as LiteLLM writes it: `[{"a": ["b", "c"]}, {"*": ["d"]}]`.
public struct FallbackMap: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public var rules: [FallbackRule]

    public init(rules: [FallbackRule]) {
        self.rules = rules
    }

    public init(dictionaryLiteral elements: (String, [String])...) {
        self.rules = elements.map { FallbackRule(group: $0.0, targets: $0.1) }
    }

    /// The targets for a group, looked up as LiteLLM does: the exact group name, then the name
    /// without its `provider/` prefix, then `*`. Nil when no rule applies.
    public func targets(for group: String) -> [String]? {
        if let rule = rules.first(where: { $0.group == group }) { return rule.targets }
        if let slash = group.firstIndex(of: "/") {
            let stripped = String(group[group.index(after: slash)...])
            if let rule = rules.first(where: { $0.group == stripped }) { return rule.targets }
        }
        return rules.first(where: { $0.group == "*" })?.targets
    }
}

/// Router behaviour settings as one layer of configuration: `router_settings`, the defaults in
/// `litellm_settings`, a key's own `router_settings`, or a request's body fields. Unset fields
/// (nil) take the value of the layer below; `RoutePolicy` applies the built-in defaults last.
public struct RouterSettings: Sendable, Hashable {
    public var numRetries: Int?
    public var retryPolicy: RetryPolicy?
    public var fallbacks: FallbackMap?
    public var contextWindowFallbacks: FallbackMap?
    public var contentPolicyFallbacks: FallbackMap?
    /// Targets for every group without a `fallbacks` entry (LiteLLM turns this into `{"*": …}`).
    public var defaultFallbacks: [String]?
    /// Failures a deployment may have within a minute before it is cooled down.
    public var allowedFails: Int?
    public var cooldownTime: Duration?
    /// Deadline for a whole non-stream attempt.
    public var timeout: Duration?
    /// LiteLLM's streaming timeout: the default for both stream timeouts below.
    public var streamTimeout: Duration?
    /// Tapedeck: deadline from sending a stream request to its first content.
    public var streamFirstTokenTimeout: Duration?
    /// Tapedeck: longest silence allowed between two upstream stream events.
    public var streamIdleTimeout: Duration?
    /// How deep fallbacks of fallbacks may nest (LiteLLM `max_fallbacks`).
    public var maxFallbacks: Int?
    /// Tapedeck: first retry delay when the upstream gave no `retry-after`; doubles per retry.
    public var retryBackoff: Duration?
    /// Tapedeck: upper bound of any retry delay, `retry-after` included.
    public var maxRetryDelay: Duration?
    public var midStreamFallback: MidStreamFallback?
    public var continuation: ContinuationSetting?

    public init(
        numRetries: Int? = nil, retryPolicy: RetryPolicy? = nil, fallbacks: FallbackMap? = nil,
        contextWindowFallbacks: FallbackMap? = nil, contentPolicyFallbacks: FallbackMap? = nil,
        defaultFallbacks: [String]? = nil, allowedFails: Int? = nil, cooldownTime: Duration? = nil,
        timeout: Duration? = nil, streamTimeout: Duration? = nil, streamFirstTokenTimeout: Duration? = nil,
        streamIdleTimeout: Duration? = nil, maxFallbacks: Int? = nil, retryBackoff: Duration? = nil,
        maxRetryDelay: Duration? = nil, midStreamFallback: MidStreamFallback? = nil,
        continuation: ContinuationSetting? = nil
    ) {
        self.numRetries = numRetries
        self.retryPolicy = retryPolicy
        self.fallbacks = fallbacks
        self.contextWindowFallbacks = contextWindowFallbacks
        self.contentPolicyFallbacks = contentPolicyFallbacks
        self.defaultFallbacks = defaultFallbacks
        self.allowedFails = allowedFails
        self.cooldownTime = cooldownTime
        self.timeout = timeout
        self.streamTimeout = streamTimeout
        self.streamFirstTokenTimeout = streamFirstTokenTimeout
        self.streamIdleTimeout = streamIdleTimeout
        self.maxFallbacks = maxFallbacks
        self.retryBackoff = retryBackoff
        self.maxRetryDelay = maxRetryDelay
        self.midStreamFallback = midStreamFallback
        self.continuation = continuation
    }

    /// This layer on top of `base`: every field set here wins, the others come from `base`.
    public func overriding(_ base: RouterSettings) -> RouterSettings {
        RouterSettings(
            numRetries: numRetries ?? base.numRetries,
            retryPolicy: retryPolicy ?? base.retryPolicy,
            fallbacks: fallbacks ?? base.fallbacks,
            contextWindowFallbacks: contextWindowFallbacks ?? base.contextWindowFallbacks,
            contentPolicyFallbacks: contentPolicyFallbacks ?? base.contentPolicyFallbacks,
            defaultFallbacks: defaultFallbacks ?? base.defaultFallbacks,
            allowedFails: allowedFails ?? base.allowedFails,
            cooldownTime: cooldownTime ?? base.cooldownTime,
            timeout: timeout ?? base.timeout,
            streamTimeout: streamTimeout ?? base.streamTimeout,
            streamFirstTokenTimeout: streamFirstTokenTimeout ?? base.streamFirstTokenTimeout,
            streamIdleTimeout: streamIdleTimeout ?? base.streamIdleTimeout,
            maxFallbacks: maxFallbacks ?? base.maxFallbacks,
            retryBackoff: retryBackoff ?? base.retryBackoff,
            maxRetryDelay: maxRetryDelay ?? base.maxRetryDelay,
            midStreamFallback: midStreamFallback ?? base.midStreamFallback,
            continuation: continuation ?? base.continuation
        )
    }
}
