import NIOConcurrencyHelpers
import NIOCore

/// Why an exchange was stopped from outside the relay.
enum AbortReason: Sendable, Hashable {
    case clientGone
    case idleTimeout
    case shutdown

    var termination: UpstreamTermination {
        switch self {
        case .clientGone: return .clientAborted
        case .idleTimeout: return .timeout
        case .shutdown: return .shutdown
        }
    }
}

/// The supervision of one exchange: the first abort reason wins (client gone, upstream idle past
/// the timeout, shutdown deadline), and whoever waits on `outcome()` learns it.
///
/// The idle timeout only counts time spent waiting on the upstream (for its head, or for the next
/// chunk while the client keeps up), never time the relay is held back by a slow client: one timer
/// per timeout period, re-armed from the last wait, instead of a timer per chunk.
final class ExchangeControl: Sendable {
    private struct State {
        var reason: AbortReason?
        var finished = false
        var waitingSince: NIODeadline?
        var waiter: CheckedContinuation<AbortReason?, Never>?
        /// Whether a timer chain runs (set before the timer itself exists, so only one chain runs).
        var timerArmed = false
        var timer: Scheduled<Void>?
    }

    private let state = NIOLockedValueBox(State())
    private let eventLoop: any EventLoop
    private let idleTimeout: TimeAmount

    init(eventLoop: any EventLoop, idleTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.idleTimeout = idleTimeout
    }

    /// The reason the exchange was aborted, if it was.
    var reason: AbortReason? { state.withLockedValue { $0.reason } }

    /// Stops the exchange for `reason` unless it already ended or was stopped.
    func abort(_ reason: AbortReason) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<AbortReason?, Never>? in
            guard state.reason == nil, !state.finished else { return nil }
            state.reason = reason
            state.timer?.cancel()
            state.timer = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: reason)
    }

    /// The relay ended by itself.
    func finish() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<AbortReason?, Never>? in
            state.finished = true
            state.timer?.cancel()
            state.timer = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Returns when the exchange is aborted (with the reason) or finished (nil).
    func outcome() async -> AbortReason? {
        await withCheckedContinuation { continuation in
            let immediate = state.withLockedValue { state -> AbortReason?? in
                if state.finished { return .some(nil) }
                if let reason = state.reason { return .some(reason) }
                state.waiter = continuation
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// The relay starts waiting on the upstream.
    func beginWaiting() {
        let now = NIODeadline.now()
        let arm = state.withLockedValue { state -> Bool in
            state.waitingSince = now
            guard !state.timerArmed, state.reason == nil, !state.finished else { return false }
            state.timerArmed = true
            return true
        }
        if arm { armTimer(at: now + idleTimeout) }
    }

    /// The upstream delivered; the relay stops waiting.
    func endWaiting() {
        state.withLockedValue { $0.waitingSince = nil }
    }

    private func armTimer(at deadline: NIODeadline) {
        let scheduled = eventLoop.scheduleTask(deadline: deadline) { [self] in checkIdle() }
        let keep = state.withLockedValue { state -> Bool in
            guard state.reason == nil, !state.finished else { return false }
            state.timer = scheduled
            return true
        }
        if !keep { scheduled.cancel() }
    }

    private func checkIdle() {
        let now = NIODeadline.now()
        let next = state.withLockedValue { state -> NIODeadline?? in
            state.timer = nil
            guard state.reason == nil, !state.finished else {
                state.timerArmed = false
                return .some(nil)
            }
            guard let since = state.waitingSince else { return .some(now + idleTimeout) }
            if since + idleTimeout <= now {
                state.timerArmed = false
                return nil
            }
            return .some(since + idleTimeout)
        }
        switch next {
        case .none: abort(.idleTimeout)
        case .some(.some(let deadline)): armTimer(at: deadline)
        case .some(.none): break
        }
    }
}
