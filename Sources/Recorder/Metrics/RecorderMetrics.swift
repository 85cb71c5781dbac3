import Dialects
import NIOConcurrencyHelpers

/// The recorder's counters and gauges, updated from the relay and read by `/metrics`.
public final class RecorderMetrics: Sendable {
    private let state = NIOLockedValueBox(MetricsSnapshot())

    public init() {}

    /// A stream or request began relaying.
    func exchangeStarted() { state.withLockedValue { $0.activeExchanges += 1 } }

    /// An exchange ended with this ending and was handed to the cassette.
    func exchangeFinished(ending: Ending) {
        state.withLockedValue {
            $0.activeExchanges -= 1
            $0.interactions[ending, default: 0] += 1
        }
    }

    /// Frames and response bytes relayed.
    func relayed(frames: Int, bytes: Int) {
        state.withLockedValue {
            $0.frames += frames
            $0.responseBytes += bytes
        }
    }

    /// Request body bytes relayed.
    func relayedRequest(bytes: Int) { state.withLockedValue { $0.requestBytes += bytes } }

    /// Interactions committed to the cassette: from then on they survive a crash of the recorder.
    func writesCommitted(_ count: Int) { state.withLockedValue { $0.committedWrites += count } }

    /// Open rows of exchanges under way committed: from then on an exchange survives a crash of the
    /// recorder as an `interrupted` interaction.
    func openWritesCommitted(_ count: Int) { state.withLockedValue { $0.committedOpenWrites += count } }

    /// Interactions that will not reach the cassette.
    func writesDropped(_ count: Int) { state.withLockedValue { $0.droppedWrites += count } }

    /// The values now.
    public func snapshot(queueDepth: Int = 0) -> MetricsSnapshot {
        var snapshot = state.withLockedValue { $0 }
        snapshot.writerQueueDepth = queueDepth
        return snapshot
    }
}

/// The metric values at one moment.
public struct MetricsSnapshot: Sendable, Hashable {
    public var interactions: [Ending: Int] = [:]
    public var frames = 0
    public var responseBytes = 0
    public var requestBytes = 0
    public var droppedWrites = 0
    public var committedWrites = 0
    public var committedOpenWrites = 0
    public var activeExchanges = 0
    public var writerQueueDepth = 0

    public init() {}
}
