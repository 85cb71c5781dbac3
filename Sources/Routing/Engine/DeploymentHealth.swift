/// The cooldown book shared by every request a router handles.
actor DeploymentHealth {
    private var book: CooldownBook

    init(book: CooldownBook) {
        self.book = book
    }

    /// The ids among `deployments` that are not cooling down.
    func available(_ deployments: [Deployment], at now: Duration) -> Set<String> {
        Set(deployments.lazy.map(\.id).filter { !self.book.isCoolingDown($0, at: now) })
    }

    /// The soonest any of `deployments` comes back, when all are cooling down.
    func soonestReturn(of deployments: [Deployment], at now: Duration) -> Duration? {
        deployments.compactMap { book.remainingCooldown(of: $0.id, at: now) }.min()
    }

    /// Records a failure; returns true when it started a cooldown.
    func recordFailure(of deployment: String, at now: Duration) -> Bool {
        book.recordFailure(of: deployment, at: now)
    }

    /// A copy of the book, for reports and tests.
    var snapshot: CooldownBook { book }
}
