import Dialects

extension FaultBook {
    /// Decides and plans one attempt in a single call: the model's schedule advances, then a
    /// capability refusal (a prefill to a `rejects_prefill` model) takes precedence over any
    /// fault, otherwise the decided fault is applied to the clean response.
    public mutating func plan(
        request: RequestView, response: CleanResponse, context: FaultContext,
        at elapsed: Duration, header: FaultHeader? = nil
    ) -> AttemptPlan {
        let decision = decide(model: request.model, at: elapsed, header: header)
        if let refusal = capabilities(of: request.model).refusal(of: request, codec: context.codec) {
            return AttemptPlan(decision: decision, refusedBy: .rejectsPrefill, plan: refusal)
        }
        return AttemptPlan(decision: decision, refusedBy: nil, plan: decision.fault.plan(for: response, in: context))
    }
}

/// What the replay server does for one attempt, and what its ledger records about it.
public struct AttemptPlan: Sendable {
    /// The fault decided for the attempt (recorded even when a capability refused the request).
    public var decision: FaultDecision
    /// The capability that refused the request, if one did; the plan is then its refusal.
    public var refusedBy: ModelCapability?
    public var plan: WirePlan

    public init(decision: FaultDecision, refusedBy: ModelCapability?, plan: WirePlan) {
        self.decision = decision
        self.refusedBy = refusedBy
        self.plan = plan
    }

    /// What the ledger shows as the attempt's fault: the capability name or the canonical spec.
    public var faultLabel: String { refusedBy?.rawValue ?? decision.fault.description }
}
