import Foundation

/// What waiting for an upstream event under a deadline gave.
enum UpstreamWait: Sendable {
    case event(UpstreamEvent?)
    case deadline
}

/// Reads one attempt's upstream events under a deadline that moves as the attempt goes on, with
/// two tasks per attempt instead of two per event.
///
/// A pump task pulls events from the transport one ahead of the reader; a timer task sleeps on
/// the router clock until the reader's current deadline and, if the reader is still waiting then,
/// hands it `.deadline`. Frames arriving faster than the deadline moves cost one hand-over each and
/// no timer work: the timer wakes at most once per deadline period and re-arms itself at the
/// deadline the reader has moved on to. When the attempt ends both tasks are cancelled, which
/// cancels a pending `next()` of the transport as its contract requires.
///
/// Deadlines passed to `next(until:)` must never move earlier within one attempt (the attempt
/// loop's first-token and idle deadlines only grow), so a sleeping timer is never late.
final class DeadlineReader: @unchecked Sendable {
    private let clock: any RouterClock
    private let lock = NSLock()

    /// An event the pump read that the reader has not taken yet, with when it arrived.
    private var slot: (event: UpstreamEvent?, arrival: Duration)?
    /// The pump, waiting with a further event until the slot is free.
    private var blockedPump: (event: UpstreamEvent?, arrival: Duration, continuation: CheckedContinuation<Bool, Never>)?
    private var arrival: Duration = .zero
    /// The reader, waiting for an event or its deadline.
    private var reader: CheckedContinuation<UpstreamWait, Never>?
    private var deadline: Duration = .zero
    /// The timer, waiting for the reader to wait again (after it found no reader waiting).
    private var idleTimer: CheckedContinuation<Duration?, Never>?
    /// Set once the pump has handed over the exchange's last event (an end, a failure, or nil).
    private var exhausted = false
    private var closed = false

    private init(clock: any RouterClock) {
        self.clock = clock
    }

    /// Runs `body` with a reader over `events`; the pump and timer stop when `body` returns.
    static func reading<Result>(
        _ events: UpstreamEvents, clock: any RouterClock, _ body: (DeadlineReader) async -> Result
    ) async -> Result {
        let reader = DeadlineReader(clock: clock)
        return await withTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await reader.pump(events) }
            group.addTask { await reader.runTimer() }
            let result = await body(reader)
            reader.close()
            group.cancelAll()
            return result
        }
    }

    /// When the event last returned by `next(until:)` arrived from the transport (the pump reads
    /// one event ahead, so this can be earlier than when the reader got it).
    var lastArrival: Duration { lock.withLock { arrival } }

    /// The next event, or `.deadline` if `deadline` passes first.
    func next(until deadline: Duration) async -> UpstreamWait {
        if clock.now() >= deadline { return .deadline }
        return await withCheckedContinuation { (continuation: CheckedContinuation<UpstreamWait, Never>) in
            var resumePump: CheckedContinuation<Bool, Never>?
            var resumeTimer: CheckedContinuation<Duration?, Never>?
            let ready: UpstreamEvent?? = lock.withLock {
                if let taken = slot {
                    slot = nil
                    arrival = taken.arrival
                    if let blocked = blockedPump {
                        slot = (blocked.event, blocked.arrival)
                        blockedPump = nil
                        resumePump = blocked.continuation
                    }
                    return .some(taken.event)
                }
                if closed || exhausted { return .some(nil) }
                self.deadline = deadline
                reader = continuation
                resumeTimer = idleTimer
                idleTimer = nil
                return nil
            }
            resumePump?.resume(returning: true)
            resumeTimer?.resume(returning: deadline)
            if let event = ready { continuation.resume(returning: .event(event)) }
        }
    }

    /// Pulls events until the exchange is over or the attempt stops.
    private func pump(_ events: UpstreamEvents) async {
        while true {
            // A cancelled attempt still hands over a nil, so a waiting reader always wakes.
            let event = Task.isCancelled ? nil : await events.next()
            guard await deliver(event, arrival: clock.now()) else { return }
            if Self.isLast(event) { return }
        }
    }

    private static func isLast(_ event: UpstreamEvent?) -> Bool {
        switch event {
        case nil, .end?, .failure?: return true
        default: return false
        }
    }

    /// Hands an event to the waiting reader, or parks it; false once the reader has stopped.
    private func deliver(_ event: UpstreamEvent?, arrival: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let (outcome, waiting): (Bool?, CheckedContinuation<UpstreamWait, Never>?) = lock.withLock {
                if closed { return (false, nil) }
                if Self.isLast(event) { exhausted = true }
                if let waiting = reader {
                    reader = nil
                    self.arrival = arrival
                    return (true, waiting)
                }
                if slot == nil {
                    slot = (event, arrival)
                    return (true, nil)
                }
                blockedPump = (event, arrival, continuation)
                return (nil, nil)
            }
            waiting?.resume(returning: .event(event))
            if let outcome { continuation.resume(returning: outcome) }
        }
    }

    /// Sleeps until the reader's deadline and wakes the reader if it is still waiting then.
    private func runTimer() async {
        while let target = await timerTarget() {
            do {
                try await clock.sleep(until: target)
            } catch {
                return
            }
            let now = clock.now()
            let expired: CheckedContinuation<UpstreamWait, Never>? = lock.withLock {
                guard let waiting = reader, now >= deadline else { return nil }
                reader = nil
                return waiting
            }
            expired?.resume(returning: .deadline)
        }
    }

    /// The deadline to sleep until: the waiting reader's, or, when the reader is busy, the one it
    /// sets when it next waits. Nil once the attempt is over.
    private func timerTarget() async -> Duration? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Duration?, Never>) in
            let target: Duration?? = lock.withLock {
                if closed { return .some(nil) }
                if reader != nil { return .some(deadline) }
                idleTimer = continuation
                return nil
            }
            if let target { continuation.resume(returning: target) }
        }
    }

    /// Ends reading: the parked pump and timer are released.
    private func close() {
        let (pump, timer, waiting): (CheckedContinuation<Bool, Never>?, CheckedContinuation<Duration?, Never>?, CheckedContinuation<UpstreamWait, Never>?) = lock.withLock {
            closed = true
            defer {
                blockedPump = nil
                idleTimer = nil
                reader = nil
                slot = nil
            }
            return (blockedPump?.continuation, idleTimer, reader)
        }
        pump?.resume(returning: false)
        timer?.resume(returning: nil)
        waiting?.resume(returning: .event(nil))
    }
}
