import Logging
import NIOConcurrencyHelpers

/// What every exchange of one recorder shares: settings, the upstream client, the sink, metrics
/// and the session grouper.
final class RecorderContext: Sendable {
    let configuration: RecorderConfiguration
    let upstream: UpstreamClient
    let sink: any InteractionSink
    let metrics: RecorderMetrics
    let logger: Logger
    private let sessions: NIOLockedValueBox<SessionGrouper>
    private let draining = NIOLockedValueBox(false)

    init(
        configuration: RecorderConfiguration, upstream: UpstreamClient, sink: any InteractionSink, metrics: RecorderMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.upstream = upstream
        self.sink = sink
        self.metrics = metrics
        self.logger = logger
        self.sessions = NIOLockedValueBox(SessionGrouper(window: configuration.sessionWindow))
    }

    /// Whether shutdown has begun.
    var isDraining: Bool { draining.withLockedValue { $0 } }

    func markDraining() { draining.withLockedValue { $0 = true } }

    /// The session of a finished interaction.
    func session(
        key: ConversationKey, header: String?, start: ContinuousClock.Instant, end: ContinuousClock.Instant
    ) -> String {
        sessions.withLockedValue { $0.session(key: key, header: header, start: start, end: end) }
    }
}
