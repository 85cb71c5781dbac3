import Hummingbird
import Logging
import ServiceLifecycle

/// Runs the gateway until `stop` returns (a termination signal, in the CLI), then shuts it down
/// gracefully: the port closes, answers in progress get `gracePeriod` to finish, then are cancelled.
public func runGateway(
    _ application: some ApplicationProtocol, gracePeriod: Duration = .seconds(10), logger: Logger,
    until stop: @escaping @Sendable () async -> Void
) async throws {
    var configuration = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [], logger: logger)
    configuration.maximumGracefulShutdownDuration = gracePeriod
    let group = ServiceGroup(configuration: configuration)
    let stopper = Task {
        await stop()
        await group.triggerGracefulShutdown()
    }
    defer { stopper.cancel() }
    try await group.run()
}
