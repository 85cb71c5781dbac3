import Foundation
import Logging

/// The single writer of a cassette: takes interactions from live traffic without ever making the
/// caller wait on disk, and commits them in batched transactions.
///
/// `enqueue` redacts, then appends to a bounded in-memory queue and returns at once. One drain
/// task at a time compresses whatever is queued and commits it in one transaction, so batches
/// grow by themselves under load (group commit) and no timer is needed. A full queue or a failed
/// write drops the interactions concerned and tells `onError`; traffic is never blocked and the
/// writer never crashes (the recorder relies on this to fail open).
public actor CassetteWriter {
    /// Called, on an arbitrary thread, for every interaction that will not be stored.
    public typealias ErrorHandler = @Sendable (CassetteWriteFailure) -> Void
    /// Called after each committed transaction with how many interactions it stored, so a caller
    /// can count what is durable (it survives a crash of the process from then on).
    public typealias CommitHandler = @Sendable (Int) -> Void

    /// Limits of the queue and of one transaction.
    public struct Limits: Sendable {
        /// Interactions waiting, at most.
        public var capacity: Int
        /// Raw bytes waiting, at most (bounds memory when interactions are large).
        public var maxQueuedBytes: Int
        /// Interactions per transaction, at most.
        public var maxBatch: Int

        public init(capacity: Int = 10_000, maxQueuedBytes: Int = 256 << 20, maxBatch: Int = 512) {
            self.capacity = max(1, capacity)
            self.maxQueuedBytes = max(1, maxQueuedBytes)
            self.maxBatch = max(1, maxBatch)
        }
    }

    public nonisolated let store: CassetteStore
    private nonisolated let redactor: Redactor
    private nonisolated let limits: Limits
    private nonisolated let onError: ErrorHandler
    private nonisolated let onCommit: CommitHandler?
    private nonisolated let onOpenCommit: CommitHandler?
    private nonisolated let logger: Logger
    private nonisolated let queue = LockedQueue()

    /// Sequence number of the last interaction whose write finished (stored or reported).
    private var finishedSequence: UInt64 = 0
    private var flushWaiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, Never>)] = []

    public init(
        store: CassetteStore, redactor: Redactor = .standard, limits: Limits = Limits(),
        logger: Logger = Logger(label: "tapedeck.cassettes"), onCommit: CommitHandler? = nil,
        onOpenCommit: CommitHandler? = nil, onError: @escaping ErrorHandler
    ) {
        self.onOpenCommit = onOpenCommit
        self.store = store
        self.redactor = redactor
        self.limits = limits
        self.logger = logger
        self.onCommit = onCommit
        self.onError = onError
    }

    /// Redacts the interaction and queues it for writing; returns at once. False when it was
    /// dropped (queue full or writer closed), in which case `onError` was told why.
    @discardableResult
    public nonisolated func enqueue(_ interaction: Interaction) -> Bool {
        enqueue(interaction, open: false)
    }

    /// Redacts and queues the open row of an exchange that has begun (request, and response head
    /// when known); returns at once. The interaction enqueued later with the same id replaces it
    /// in the same transaction that stores it, so a row still open after a crash is an exchange
    /// that never finished, read back with ending `interrupted`. Best effort: a refused open row
    /// is not reported to `onError` (nothing is lost while the exchange goes on).
    @discardableResult
    public nonisolated func enqueueOpen(_ interaction: Interaction) -> Bool {
        var open = interaction
        open.ending = .interrupted
        return enqueue(open, open: true)
    }

    private nonisolated func enqueue(_ interaction: Interaction, open: Bool) -> Bool {
        let redacted = redactor.redact(interaction)
        let size = redacted.request.body.count + redacted.content.byteCount
        let outcome = queue.withLock { state -> EnqueueOutcome in
            if state.closed { return .closed }
            if state.items.count >= limits.capacity || (state.queuedBytes + size > limits.maxQueuedBytes && !state.items.isEmpty) {
                return .full
            }
            state.lastSequence += 1
            state.items.append(QueuedInteraction(sequence: state.lastSequence, interaction: redacted, size: size, open: open))
            state.queuedBytes += size
            if state.drainScheduled { return .queued }
            state.drainScheduled = true
            return .queuedNeedsDrain
        }
        switch outcome {
        case .queued:
            return true
        case .queuedNeedsDrain:
            Task { await self.drain() }
            return true
        case .full where open, .closed where open:
            logger.debug("cassette open row not queued", metadata: ["outcome": "\(outcome)"])
            return false
        case .full:
            logger.warning("cassette queue full, interaction dropped", metadata: ["capacity": "\(limits.capacity)"])
            onError(CassetteWriteFailure(
                error: .queueFull(path: store.path, capacity: limits.capacity, id: interaction.id), interactionIDs: [interaction.id]))
            return false
        case .closed:
            onError(CassetteWriteFailure(error: .writerClosed(path: store.path, id: interaction.id), interactionIDs: [interaction.id]))
            return false
        }
    }

    /// Returns once every interaction enqueued before the call is committed or reported failed.
    public func flush() async {
        let target = queue.withLock { $0.lastSequence }
        guard finishedSequence < target else { return }
        await withCheckedContinuation { continuation in
            flushWaiters.append((target, continuation))
        }
    }

    /// Refuses further interactions, then flushes. The store stays open.
    public func close() async {
        queue.withLock { $0.closed = true }
        await flush()
    }

    /// Interactions waiting to be written.
    public nonisolated var queuedCount: Int { queue.withLock { $0.items.count } }

    private func drain() async {
        while true {
            let batch = queue.withLock { state -> [QueuedInteraction] in
                let count = min(limits.maxBatch, state.items.count)
                guard count > 0 else {
                    state.drainScheduled = false
                    return []
                }
                let batch = Array(state.items.prefix(count))
                state.items.removeFirst(count)
                state.queuedBytes -= batch.reduce(0) { $0 + $1.size }
                return batch
            }
            guard let last = batch.last else { return }
            await write(batch)
            finishedSequence = last.sequence
            let ready = flushWaiters.filter { $0.sequence <= finishedSequence }
            flushWaiters.removeAll { $0.sequence <= finishedSequence }
            for waiter in ready { waiter.continuation.resume() }
        }
    }

    private func write(_ batch: [QueuedInteraction]) async {
        var rows: [PendingRow] = []
        rows.reserveCapacity(batch.count)
        for item in batch {
            do {
                let record = try InteractionRecord(item.interaction, compression: store.compression)
                rows.append(item.open ? .open(record) : .finished(record))
            } catch where item.open {
                logger.debug("cassette open row not encoded", metadata: ["error": "\(error)"])
            } catch {
                report(.unreadableInteraction(path: store.path, id: item.interaction.id, reason: "it could not be compressed: \(error)"),
                       ids: [item.interaction.id])
            }
        }
        guard !rows.isEmpty else { return }
        do {
            let written = try await store.write(rows: rows)
            logger.debug("cassette batch committed", metadata: ["interactions": "\(written.finished)", "open": "\(written.opened)"])
            onCommit?(written.finished)
            if written.opened > 0 { onOpenCommit?(written.opened) }
        } catch {
            let finished = rows.compactMap { row -> String? in
                if case .finished(let record) = row { return record.id }
                return nil
            }
            if finished.isEmpty { return }
            report(store.translate(error), ids: finished)
        }
    }

    private func report(_ error: CassetteError, ids: [String]) {
        logger.error("cassette write failed", metadata: ["interactions": "\(ids.count)", "error": "\(error)"])
        onError(CassetteWriteFailure(error: error, interactionIDs: ids))
    }
}

/// Interactions the writer could not store, and why.
public struct CassetteWriteFailure: Error, Sendable, Equatable {
    public var error: CassetteError
    public var interactionIDs: [String]
}

private struct QueuedInteraction: Sendable {
    var sequence: UInt64
    var interaction: Interaction
    var size: Int
    /// The open row of an exchange under way, not a finished interaction.
    var open: Bool
}

private enum EnqueueOutcome {
    case queued, queuedNeedsDrain, full, closed
}

/// The writer's queue, shared between callers' threads and the drain task under a lock held
/// only for list operations, never across I/O.
private final class LockedQueue: @unchecked Sendable {
    struct State {
        var items: [QueuedInteraction] = []
        var queuedBytes = 0
        var lastSequence: UInt64 = 0
        var drainScheduled = false
        var closed = false
    }

    private let lock = NSLock()
    private var state = State()

    func withLock<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }
}
