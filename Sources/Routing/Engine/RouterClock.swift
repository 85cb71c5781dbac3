import Foundation

/// The router's sense of time: attempt deadlines, retry delays, cooldowns and attempt timestamps
/// all read it, so tests and simulations drive time by hand.
public protocol RouterClock: Sendable {
    /// Monotonic time since an arbitrary origin.
    func now() -> Duration
    /// Suspends until `now() >= deadline`; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Duration) async throws
}

/// Real time: a continuous (monotonic) clock measured from when this value was made.
public struct SystemRouterClock: RouterClock {
    private let origin: ContinuousClock.Instant

    public init() {
        origin = .now
    }

    public func now() -> Duration { ContinuousClock.now - origin }

    public func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin + deadline, tolerance: nil)
    }
}

/// Time that moves only when told to: sleepers wake when `advance` reaches their deadline.
///
/// For tests and for simulations that must not wait: a stalled upstream is expressed by advancing
/// this clock past the router's idle deadline instead of really waiting.
public final class ManualRouterClock: RouterClock, @unchecked Sendable {
    private struct Sleeper {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Watcher {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, Never>
    }

    private let lock = NSLock()
    private var current: Duration
    private var sleepers: [UInt64: Sleeper] = [:]
    private var watchers: [Watcher] = []
    private var nextToken: UInt64 = 0

    public init(now: Duration = .zero) {
        current = now
    }

    public func now() -> Duration { lock.withLock { current } }

    public func sleep(until deadline: Duration) async throws {
        let token: UInt64 = lock.withLock {
            nextToken += 1
            return nextToken
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (immediate, woken): (Bool, [Watcher]) = lock.withLock {
                    if Task.isCancelled || current >= deadline { return (true, []) }
                    sleepers[token] = Sleeper(deadline: deadline, continuation: continuation)
                    let matching = watchers.filter { $0.deadline == deadline }
                    watchers.removeAll { $0.deadline == deadline }
                    return (false, matching)
                }
                for watcher in woken { watcher.continuation.resume() }
                if immediate {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper: Sleeper? = lock.withLock { sleepers.removeValue(forKey: token) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        advance(to: now() + duration)
    }

    /// Moves time to `instant` (never backwards) and wakes every sleeper whose deadline has come.
    public func advance(to instant: Duration) {
        let due: [Sleeper] = lock.withLock {
            current = max(current, instant)
            let ready = sleepers.filter { $0.value.deadline <= current }
            for token in ready.keys { sleepers[token] = nil }
            return Array(ready.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// The deadlines someone is currently sleeping until.
    public var pendingDeadlines: [Duration] {
        lock.withLock { sleepers.values.map(\.deadline).sorted() }
    }

    /// Returns once somebody sleeps until exactly `deadline` (at once if somebody already does).
    public func waitForSleeper(until deadline: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let present: Bool = lock.withLock {
                if sleepers.values.contains(where: { $0.deadline == deadline }) { return true }
                watchers.append(Watcher(deadline: deadline, continuation: continuation))
                return false
            }
            if present { continuation.resume() }
        }
    }
}
