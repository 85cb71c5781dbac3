import Dialects
import Logging

/// One request's way through the router: the attempt loop. Pure decisions come from
/// `RouteResolver`, `DeploymentSelector` and `ContinuationPolicy`; this type only carries them out.
struct RouteRun {
    let router: Router
    let requestID: String
    let policy: RoutePolicy
    let builder: UpstreamRequestBuilder
    var channel: ClientChannel
    var resolver: RouteResolver
    private var attempts: [RouteAttempt] = []
    private var attemptsInGroup: [String: Int] = [:]
    private var usage: Usage?
    private let start: Duration

    init(router: Router, requestID: String, group: String, policy: RoutePolicy, builder: UpstreamRequestBuilder, channel: ClientChannel) {
        self.router = router
        self.requestID = requestID
        self.policy = policy
        self.builder = builder
        self.channel = channel
        self.resolver = RouteResolver(policy: policy, group: group)
        self.start = router.routerClock.now()
    }

    private var clock: any RouterClock { router.routerClock }
    private var logger: Logger { router.routerLogger }

    mutating func execute() async -> RouteReport {
        while true {
            if Task.isCancelled {
                channel.markGone()
                return report(outcome: clientOutcome(text: channel.deliveredText, error: nil, model: nil, run: nil))
            }
            let group = resolver.group
            let attemptStart = clock.now()
            let deployments = router.config.deployments(in: group)
            let available = await router.deploymentHealth.available(deployments, at: attemptStart)
            let inGroup = attemptsInGroup[group, default: 0]
            attemptsInGroup[group] = inGroup + 1

            guard let deployment = DeploymentSelector.select(
                from: deployments, attemptInGroup: inGroup, isAvailable: { available.contains($0.id) })
            else {
                let error = OutcomeError(
                    kind: .rateLimit, status: 429,
                    message: "every deployment of model group \(group) is cooling down after repeated failures")
                let failure = AttemptFailure(
                    error: error, retryAfter: await router.deploymentHealth.soonestReturn(of: deployments, at: attemptStart),
                    delivered: channel.delivered, noDeploymentAvailable: true)
                let skipped = AttemptRun(outcome: Outcome(dialect: channel.dialect), error: error)
                if let report = await decide(failure, run: skipped, group: group, deployment: nil, continuation: nil, startedAt: attemptStart) {
                    return report
                }
                continue
            }

            let continuation = ContinuationPolicy.plan(
                deliveredText: channel.deliveredText, mode: policy.midStreamFallback, setting: policy.continuation,
                target: deployment)
            let request = builder.request(for: deployment, continuation: continuation, deliveredText: channel.deliveredText)
            channel.beginAttempt(continuation: continuation)
            let run = await runAttempt(request, timeouts: policy.timeouts(for: deployment), fallbackModel: deployment.model)
            if let partial = run.outcome.usage { usage = usage.map { $0 + partial } ?? partial }

            // A cancelled task means the client is gone: what ended the attempt was the cancellation.
            if Task.isCancelled { channel.markGone() }
            if channel.gone {
                record(run, group: group, deployment: deployment, continuation: continuation, startedAt: attemptStart, next: "client_gone")
                return report(outcome: clientOutcome(text: channel.deliveredText, error: nil, model: nil, run: nil))
            }
            guard let error = run.error else {
                record(run, group: group, deployment: deployment, continuation: continuation, startedAt: attemptStart, next: "answered")
                let base = continuation == .prefill || continuation == .userMessage ? channel.attemptBaseText : ""
                let final = clientOutcome(
                    text: base + run.outcome.text, error: nil, model: run.outcome.model ?? deployment.model, run: run)
                await channel.finish(outcome: final, attempts: attempts)
                return report(outcome: final)
            }

            if CooldownBook.counts(error) {
                let cooled = await router.deploymentHealth.recordFailure(of: deployment.id, at: clock.now())
                if cooled {
                    logger.notice(
                        "deployment cooling down",
                        metadata: ["deployment": "\(deployment.id)", "cooldown_s": "\(policy.settings.cooldownTime ?? CooldownBook.defaultCooldownTime)"])
                }
            }
            let failure = AttemptFailure(
                error: error, retryAfter: run.retryAfter, delivered: channel.delivered, continuation: continuation,
                restartDiverged: run.diverged)
            if let report = await decide(failure, run: run, group: group, deployment: deployment, continuation: continuation, startedAt: attemptStart) {
                return report
            }
        }
    }

    /// Asks the resolver what follows a failed attempt and does it; returns the report when routing ends.
    private mutating func decide(
        _ failure: AttemptFailure, run: AttemptRun, group: String, deployment: Deployment?,
        continuation: AttemptContinuation?, startedAt: Duration
    ) async -> RouteReport? {
        let decision = resolver.next(after: failure)
        let next: String
        switch decision {
        case .retry: next = "retry"
        case .fallback: next = "fallback"
        case .giveUp: next = "gave_up"
        }
        record(run, group: group, deployment: deployment, continuation: continuation, startedAt: startedAt, next: next)
        logger.debug(
            "attempt failed",
            metadata: [
                "request_id": "\(requestID)", "group": "\(group)", "deployment": "\(deployment?.id ?? "-")",
                "error_kind": "\(failure.error.kind.rawValue)", "status": "\(failure.error.status.map(String.init) ?? "-")",
                "next": "\(next)",
            ])
        switch decision {
        case .retry(_, let delay):
            if delay > .zero {
                do { try await clock.sleep(until: clock.now() + delay) } catch { return report(outcome: clientOutcome(text: channel.deliveredText, error: failure.error, model: nil, run: nil)) }
            }
            return nil
        case .fallback:
            return nil
        case .giveUp(let error):
            await channel.fail(error: error, retryAfter: failure.retryAfter, attempts: attempts)
            return report(outcome: clientOutcome(text: channel.deliveredText, error: error, model: nil, run: nil))
        }
    }

    /// The answer in the client's dialect: usage of every attempt combined.
    private func clientOutcome(text: String, error: OutcomeError?, model: String?, run: AttemptRun?) -> Outcome {
        var outcome = Outcome(
            dialect: channel.dialect, model: model, text: text, toolCalls: run?.outcome.toolCalls ?? [],
            finishReason: run?.outcome.finishReason, usage: usage, error: error, terminated: error == nil && run != nil)
        if run != nil && outcome.finishReason == nil { outcome.finishReason = outcome.toolCalls.isEmpty ? .stop : .toolCalls }
        return outcome
    }

    private func report(outcome: Outcome) -> RouteReport {
        RouteReport(
            requestID: requestID, status: channel.status, streamed: channel.streaming && channel.headSent && channel.status == 200,
            outcome: outcome, attempts: attempts, clientGone: channel.gone)
    }

    private mutating func record(
        _ run: AttemptRun, group: String, deployment: Deployment?, continuation: AttemptContinuation?, startedAt: Duration,
        next: String
    ) {
        attempts.append(RouteAttempt(
            index: attempts.count, group: group, deployment: deployment?.id, model: deployment?.qualifiedModel,
            reportedModel: run.outcome.model,
            startMicros: micros(startedAt - start), endMicros: micros(clock.now() - start), status: run.status,
            error: run.error, continuation: deployment == nil ? nil : continuation, bytesReceived: run.bytesReceived,
            bytesForwarded: channel.forwardedThisAttempt(for: deployment), usage: run.outcome.usage, next: next))
    }

    private func micros(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

extension ClientChannel {
    /// Content bytes forwarded by the attempt just run; none for a skipped one.
    fileprivate func forwardedThisAttempt(for deployment: Deployment?) -> Int {
        deployment == nil ? 0 : forwardedThisAttempt
    }
}
