import Cassettes
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The recorder's fail-open path to a cassette file: a `CassetteWriter` when the file can be
/// opened, nothing otherwise. Every interaction that cannot be stored (file unopenable, queue full,
/// write failed: read-only, disk full, locked) is counted in `dropped_writes` and logged at most
/// once per `logInterval`; the relay never notices.
///
/// While the file cannot be opened, an open is retried at most every `reopenInterval`, in the
/// background, triggered by traffic.
public final class CassetteSink: InteractionSink {
    /// Settings of the sink.
    public struct Options: Sendable {
        public var redactor: Redactor
        /// zlib's fastest level by default: the recorder compresses on the cores that relay live
        /// traffic, where level 6 costs about three times the CPU for files some 20% smaller.
        public var compression: CompressionSettings
        public var limits: CassetteWriter.Limits
        public var reopenInterval: Duration
        public var logInterval: Duration

        public init(
            redactor: Redactor = .standard, compression: CompressionSettings = CompressionSettings(level: 1),
            limits: CassetteWriter.Limits = CassetteWriter.Limits(), reopenInterval: Duration = .seconds(5),
            logInterval: Duration = .seconds(10)
        ) {
            self.redactor = redactor
            self.compression = compression
            self.limits = limits
            self.reopenInterval = reopenInterval
            self.logInterval = logInterval
        }
    }

    public let path: String
    private let options: Options
    private let metrics: RecorderMetrics
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    private struct State {
        var writer: CassetteWriter?
        var lastOpenAttempt: ContinuousClock.Instant?
        var opening = false
        var closed = false
        var throttle: LogThrottle
    }

    /// Opens (or creates) the cassette now; if that fails the sink still works, dropping and
    /// counting, and retries later.
    public init(path: String, options: Options = Options(), metrics: RecorderMetrics, logger: Logger) {
        self.path = path
        self.options = options
        self.metrics = metrics
        self.logger = logger
        self.state = NIOLockedValueBox(State(throttle: LogThrottle(interval: options.logInterval)))
        let now = ContinuousClock.now
        let writer = openWriter()
        state.withLockedValue {
            $0.writer = writer
            $0.lastOpenAttempt = now
        }
    }

    /// Whether the cassette is open for writing.
    public var isOpen: Bool { state.withLockedValue { $0.writer != nil } }

    public func record(_ interaction: Interaction) {
        let writer = state.withLockedValue { $0.writer }
        if let writer {
            // A refused enqueue was already reported through `onError`.
            writer.enqueue(interaction)
            return
        }
        dropped(count: 1, reason: "the cassette is not open")
        reopenIfDue()
    }

    public func begin(_ interaction: Interaction) {
        // Best effort, never counted as dropped: the interaction itself comes later through `record`.
        state.withLockedValue { $0.writer }?.enqueueOpen(interaction)
    }

    public var queueDepth: Int { state.withLockedValue { $0.writer }?.queuedCount ?? 0 }

    public func close() async {
        let writer = state.withLockedValue { state -> CassetteWriter? in
            state.closed = true
            return state.writer
        }
        guard let writer else { return }
        await writer.close()
        do {
            try writer.store.checkpoint()
            try writer.store.close()
        } catch {
            logger.warning("cassette checkpoint failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    private func openWriter() -> CassetteWriter? {
        do {
            let store = try CassetteStore(
                path: path, mode: .createIfMissing, compression: options.compression, logger: logger)
            // The writer logs every failed write; under a lasting failure that would flood the log,
            // so the sink logs for it, throttled.
            var quiet = logger
            quiet.logLevel = .critical
            return CassetteWriter(
                store: store, redactor: options.redactor, limits: options.limits, logger: quiet,
                onCommit: { [metrics] count in metrics.writesCommitted(count) },
                onOpenCommit: { [metrics] count in metrics.openWritesCommitted(count) },
                onError: { [weak self] failure in
                    self?.dropped(count: failure.interactionIDs.count, reason: failure.error.description)
                })
        } catch {
            report(reason: "\(error)", count: 0)
            return nil
        }
    }

    private func reopenIfDue() {
        let now = ContinuousClock.now
        let due = state.withLockedValue { state -> Bool in
            guard !state.closed, !state.opening, state.writer == nil else { return false }
            if let last = state.lastOpenAttempt, now - last < options.reopenInterval { return false }
            state.opening = true
            state.lastOpenAttempt = now
            return true
        }
        guard due else { return }
        Task.detached { [self] in
            let writer = openWriter()
            state.withLockedValue { state in
                state.opening = false
                if !state.closed { state.writer = writer }
            }
            if writer != nil { logger.notice("cassette opened after earlier failures", metadata: ["path": "\(path)"]) }
        }
    }

    private func dropped(count: Int, reason: String) {
        metrics.writesDropped(count)
        report(reason: reason, count: count)
    }

    private func report(reason: String, count: Int) {
        let now = ContinuousClock.now
        let admitted = state.withLockedValue { $0.throttle.admit(at: now) }
        guard admitted.log else { return }
        logger.error(
            "cassette unwritable, interactions dropped; traffic unaffected",
            metadata: [
                "path": "\(path)", "reason": "\(reason)", "dropped": "\(count)",
                "similar_suppressed": "\(admitted.suppressed)",
            ])
    }
}
