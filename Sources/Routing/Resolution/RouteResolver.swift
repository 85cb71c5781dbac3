import Dialects

/// What had reached the client when an attempt failed (over all attempts so far).
public enum DeliveredContent: String, Sendable, Hashable, Codable {
    /// Nothing: the failure can be hidden from the client entirely.
    case nothing
    /// Text: a fallback must continue it (or the stream ends, per `mid_stream_fallback`).
    case text
    /// Part of a tool call: no continuation can repair it, so the router gives up.
    case toolCalls = "tool_calls"
}

/// How an attempt's request carried on from content the client already had.
public enum AttemptContinuation: String, Sendable, Hashable, Codable, CaseIterable {
    /// An assistant turn holding the partial text, for the model to extend.
    case prefill
    /// The partial text as an assistant turn, then a user turn asking to continue.
    case userMessage = "user_message"
    /// The original request; the prefix the client already has is dropped from the new answer.
    case restart
}

/// One failed attempt as the resolver sees it.
public struct AttemptFailure: Sendable, Hashable {
    public var error: OutcomeError
    /// The upstream's `retry-after`, if it gave one.
    public var retryAfter: Duration?
    public var delivered: DeliveredContent
    /// How this attempt's request continued earlier content; nil for the original request.
    public var continuation: AttemptContinuation?
    /// True when a `restart` answer did not begin with the text the client already had.
    public var restartDiverged: Bool
    /// True when no upstream was asked because every deployment of the group was cooling down.
    public var noDeploymentAvailable: Bool

    public init(
        error: OutcomeError, retryAfter: Duration? = nil, delivered: DeliveredContent = .nothing,
        continuation: AttemptContinuation? = nil, restartDiverged: Bool = false, noDeploymentAvailable: Bool = false
    ) {
        self.error = error
        self.retryAfter = retryAfter
        self.delivered = delivered
        self.continuation = continuation
        self.restartDiverged = restartDiverged
        self.noDeploymentAvailable = noDeploymentAvailable
    }

    /// True when the target refused the continuation itself (prefill rejected, any other
    /// non-retryable 4xx, or a restart that diverged): the attempt failed, but its error must
    /// never replace the error that made the continuation necessary.
    public var isContinuationRejection: Bool {
        guard continuation != nil else { return false }
        if restartDiverged || error.kind == .prefillRejected { return true }
        if let status = error.status { return (400..<500).contains(status) && !RetryRules.isRetryableStatus(status) }
        return false
    }
}

/// Which configured list a fallback came from.
public enum FallbackListKind: String, Sendable, Hashable, Codable {
    case contextWindow = "context_window_fallbacks"
    case contentPolicy = "content_policy_fallbacks"
    case general = "fallbacks"
    case defaults = "default_fallbacks"
}

/// What to do after a failed attempt.
public enum RouteDecision: Sendable, Hashable {
    /// Try the same group again after `delay`.
    case retry(group: String, delay: Duration)
    /// Move to another group, found in `list`.
    case fallback(group: String, list: FallbackListKind)
    /// Stop and report this error to the client.
    case giveUp(OutcomeError)
}

/// The one place that decides retries and fallbacks, for every endpoint and both modes: a pure
/// state machine fed one failure at a time. Nothing it reads says whether the client streams.
///
/// Rules, in order: a continuation rejection never becomes the reported error; after tool-call
/// content, or after text with `mid_stream_fallback: disabled`, give up; retry the same group
/// while the error is retryable and the group's retry budget lasts; unless fallbacks are disabled,
/// queue the failing group's fallbacks (list picked by the error kind) ahead of the ones still
/// pending, depth-first as LiteLLM nests them, skipping groups already tried and stopping at
/// `max_fallbacks` levels; take the next queued group; give up with the last reportable error.
public struct RouteResolver: Sendable, Hashable {
    public let policy: RoutePolicy
    public let originalGroup: String
    /// The group the next attempt goes to.
    public private(set) var group: String
    /// Retries already spent on `group` since it was entered.
    public private(set) var retriesUsed = 0
    /// How many fallback levels below the original group `group` is.
    public private(set) var depth = 0
    /// The error a client gets if the router gives up now.
    public private(set) var reportableError: OutcomeError?

    private struct PendingGroup: Sendable, Hashable {
        var group: String
        var depth: Int
        var list: FallbackListKind
    }

    private var pending: [PendingGroup] = []
    private var visited: Set<String>

    public init(policy: RoutePolicy, group: String) {
        self.policy = policy
        self.originalGroup = group
        self.group = group
        self.visited = [group]
    }

    /// Decides the next step after a failed attempt on `group`, and moves to it.
    public mutating func next(after failure: AttemptFailure) -> RouteDecision {
        let rejection = failure.isContinuationRejection
        if !rejection || reportableError == nil { reportableError = failure.error }
        let reportable = reportableError ?? failure.error

        switch failure.delivered {
        case .toolCalls: return .giveUp(reportable)
        case .text where policy.midStreamFallback == .disabled: return .giveUp(reportable)
        case .text, .nothing: break
        }

        if !rejection && !failure.noDeploymentAvailable,
            RetryRules.isRetryable(failure.error, groupSize: policy.groupSizes[group] ?? 1),
            retriesUsed < retryBudget(for: failure.error.kind)
        {
            retriesUsed += 1
            return .retry(group: group, delay: retryDelay(retryAfter: failure.retryAfter))
        }

        if policy.disableFallbacks { return .giveUp(reportable) }
        queueFallbacks(of: group, kind: rejection ? reportable.kind : failure.error.kind)
        while !pending.isEmpty {
            let next = pending.removeFirst()
            guard visited.insert(next.group).inserted else { continue }
            group = next.group
            depth = next.depth
            retriesUsed = 0
            return .fallback(group: next.group, list: next.list)
        }
        return .giveUp(reportable)
    }

    /// Retries allowed on the current group for an error kind: the request's `num_retries`, else
    /// the `retry_policy` entry for the kind's class, else the group's deployment setting, else
    /// the settings' `num_retries`.
    public func retryBudget(for kind: ErrorKind) -> Int {
        policy.requestNumRetries ?? policy.retryPolicy[RetryClass(kind)] ?? policy.groupRetries[group] ?? policy.numRetries
    }

    /// The pause before the next retry: `retry-after` when given, else exponential backoff from
    /// `retry_backoff`; either way at most `max_retry_delay`.
    private func retryDelay(retryAfter: Duration?) -> Duration {
        let wanted = retryAfter ?? policy.retryBackoff * (1 << min(retriesUsed - 1, 20))
        return min(max(wanted, .zero), policy.maxRetryDelay)
    }

    /// The fallback list for an error kind and group: context-window errors use only
    /// `context_window_fallbacks`; content-policy errors `content_policy_fallbacks`, falling
    /// through to the general lists when it has no entry; everything else `fallbacks`, then
    /// `default_fallbacks`.
    public func fallbackTargets(of group: String, kind: ErrorKind) -> (targets: [String], list: FallbackListKind)? {
        switch kind {
        case .contextWindow:
            return policy.contextWindowFallbacks?.targets(for: group).map { ($0, .contextWindow) }
        case .contentPolicy:
            if let targets = policy.contentPolicyFallbacks?.targets(for: group) { return (targets, .contentPolicy) }
        default:
            break
        }
        if let targets = policy.fallbacks.targets(for: group) { return (targets, .general) }
        if !policy.defaultFallbacks.isEmpty { return (policy.defaultFallbacks, .defaults) }
        return nil
    }

    private mutating func queueFallbacks(of group: String, kind: ErrorKind) {
        guard depth < policy.maxFallbacks, let (targets, list) = fallbackTargets(of: group, kind: kind) else { return }
        let queued = Set(pending.map(\.group))
        var seen = Set<String>()
        let fresh = targets.filter { target in
            policy.groupSizes[target] != nil && !visited.contains(target) && !queued.contains(target)
                && seen.insert(target).inserted
        }
        pending.insert(contentsOf: fresh.map { PendingGroup(group: $0, depth: depth + 1, list: list) }, at: 0)
    }
}

/// Which failures are worth another try on the same group.
public enum RetryRules {
    /// 408, 409, 429 and every 5xx (529 included).
    public static func isRetryableStatus(_ status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || status >= 500
    }

    /// Retryable statuses, transport and in-band transient errors (no status), and — as LiteLLM
    /// does — authentication errors when the group has another deployment to try.
    public static func isRetryable(_ error: OutcomeError, groupSize: Int) -> Bool {
        if error.kind == .auth && groupSize > 1 { return true }
        if let status = error.status { return isRetryableStatus(status) }
        return error.kind.isTransient
    }
}
