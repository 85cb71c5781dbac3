import Dialects

/// Deployment health across requests: a deployment that fails more than `allowedFails` times
/// within a minute is skipped for `cooldownTime`, then probed again by the next request that
/// needs it. Pure: time comes in as a value on the router's clock.
public struct CooldownBook: Sendable, Hashable {
    public var allowedFails: Int
    public var cooldownTime: Duration
    /// How long a failure is remembered when counting (LiteLLM counts per minute).
    public var window: Duration

    private var failures: [String: [Duration]] = [:]
    private var coolingUntil: [String: Duration] = [:]

    public static let defaultAllowedFails = 3
    public static let defaultCooldownTime: Duration = .seconds(5)

    public init(allowedFails: Int = defaultAllowedFails, cooldownTime: Duration = defaultCooldownTime, window: Duration = .seconds(60)) {
        self.allowedFails = allowedFails
        self.cooldownTime = cooldownTime
        self.window = window
    }

    /// The book for a configuration's global `allowed_fails` and `cooldown_time`.
    public init(settings: RouterSettings) {
        self.init(
            allowedFails: settings.allowedFails ?? Self.defaultAllowedFails,
            cooldownTime: settings.cooldownTime ?? Self.defaultCooldownTime)
    }

    /// Whether a failure says something about the deployment rather than the request: retryable
    /// errors, authentication and not-found do; bad requests, context-window, content-policy and
    /// prefill rejections do not.
    public static func counts(_ error: OutcomeError) -> Bool {
        switch error.kind {
        case .auth, .notFound: return true
        case .badRequest, .contextWindow, .contentPolicy, .prefillRejected: return false
        default: return RetryRules.isRetryable(error, groupSize: 1)
        }
    }

    /// How much longer a deployment is skipped; nil when it is available.
    public func remainingCooldown(of deployment: String, at now: Duration) -> Duration? {
        guard let until = coolingUntil[deployment], until > now else { return nil }
        return until - now
    }

    public func isCoolingDown(_ deployment: String, at now: Duration) -> Bool {
        remainingCooldown(of: deployment, at: now) != nil
    }

    /// Records a failure that `counts`; returns true when it started a cooldown.
    @discardableResult
    public mutating func recordFailure(of deployment: String, at now: Duration) -> Bool {
        guard cooldownTime > .zero else { return false }
        var recent = failures[deployment, default: []].filter { now - $0 < window }
        recent.append(now)
        guard recent.count > allowedFails else {
            failures[deployment] = recent
            return false
        }
        failures[deployment] = nil
        coolingUntil[deployment] = now + cooldownTime
        return true
    }
}

/// Which deployment of a group an attempt goes to.
public enum DeploymentSelector {
    /// The deployment for the `attemptInGroup`-th attempt (from 0) on a group within one request:
    /// the available deployments in `model_list` order, moving one further on every retry, so the
    /// first attempt always prefers the first listed deployment and the choice is deterministic.
    public static func select(from deployments: [Deployment], attemptInGroup: Int, isAvailable: (Deployment) -> Bool) -> Deployment? {
        let available = deployments.filter(isAvailable)
        guard !available.isEmpty else { return nil }
        return available[max(attemptInGroup, 0) % available.count]
    }
}

/// How the request after a mid-stream failure carries on from what the client already has.
public enum ContinuationPolicy {
    /// The continuation for the next attempt, or nil to send the original request unchanged —
    /// always nil when no text reached the client. With `continue`/`auto`, prefill only to a
    /// target whose `model_info` says `supports_assistant_prefill: true` (unknown counts as no).
    public static func plan(
        deliveredText: String, mode: MidStreamFallback, setting: ContinuationSetting, target: Deployment
    ) -> AttemptContinuation? {
        guard !deliveredText.isEmpty else { return nil }
        switch mode {
        case .disabled: return nil
        case .restart: return .restart
        case .continue:
            switch setting {
            case .auto: return target.supportsAssistantPrefill == true ? .prefill : .userMessage
            case .prefill: return .prefill
            case .userMessage: return .userMessage
            }
        }
    }
}
