import NIOConcurrencyHelpers
import NIOCore

/// A bounded hand-over queue between one producer task and one consumer task: when it holds
/// `capacity` elements the producer waits, so whoever feeds it (a socket reader) is held back to
/// the consumer's pace. The producer may end it with an error, which the consumer gets after every
/// element sent before it.
final class AsyncInbox<Element: Sendable>: Sendable {
    private struct State {
        var buffer = CircularBuffer<Element>(initialCapacity: 4)
        var finished = false
        var failure: (any Error)?
        var consumer: CheckedContinuation<Void, Never>?
        var producer: CheckedContinuation<Void, Never>?
        /// A synchronous producer was told the inbox is full and waits for `onRoom`.
        var roomWanted = false
    }

    private let state = NIOLockedValueBox(State())
    private let capacity: Int
    /// Called (by the consumer) when an inbox that `offer` reported full has room again.
    private let roomCallback = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Sets what tells an `offer` producer that a full inbox has room again.
    func onRoom(_ callback: @escaping @Sendable () -> Void) {
        roomCallback.withLockedValue { $0 = callback }
    }

    private func signalRoom() {
        roomCallback.withLockedValue { $0 }?()
    }

    /// Adds an element without waiting (for a producer that cannot wait, an event loop handler);
    /// true while there is room for more. When false, `onRoom` is called once there is.
    @discardableResult
    func offer(_ element: Element) -> Bool {
        let (room, wake) = state.withLockedValue { state -> (Bool, CheckedContinuation<Void, Never>?) in
            if state.finished { return (true, nil) }
            state.buffer.append(element)
            let room = state.buffer.count < capacity
            if !room { state.roomWanted = true }
            defer { state.consumer = nil }
            return (room, state.consumer)
        }
        wake?.resume()
        return room
    }

    /// Whether the inbox can take more without going over its capacity; if not, `onRoom` is called
    /// once it can.
    func hasRoom() -> Bool {
        state.withLockedValue { state in
            if state.buffer.count < capacity || state.finished { return true }
            state.roomWanted = true
            return false
        }
    }

    /// After a pop: whether an `offer` producer waits and may go on.
    private static func takeRoomWanted(_ state: inout State, capacity: Int) -> Bool {
        guard state.roomWanted, state.buffer.count < capacity else { return false }
        state.roomWanted = false
        return true
    }

    /// Adds an element, waiting while the inbox is full. False when the inbox was finished
    /// meanwhile or the task was cancelled (the element is then dropped).
    func push(_ element: Element) async -> Bool {
        while true {
            let outcome = state.withLockedValue { state -> (accepted: Bool?, wake: CheckedContinuation<Void, Never>?) in
                if state.finished { return (false, nil) }
                guard state.buffer.count < capacity else { return (nil, nil) }
                state.buffer.append(element)
                defer { state.consumer = nil }
                return (true, state.consumer)
            }
            outcome.wake?.resume()
            if let accepted = outcome.accepted { return accepted }
            if Task.isCancelled { return false }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLockedValue { state -> Bool in
                        if state.finished || state.buffer.count < capacity || Task.isCancelled { return true }
                        state.producer = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                wakeProducer()
            }
        }
    }

    /// No more elements will come; the consumer gets `failure` (if any) after what is buffered.
    func finish(throwing failure: (any Error)? = nil) {
        let (consumer, producer) = state.withLockedValue { state in
            if !state.finished {
                state.finished = true
                state.failure = failure
            }
            defer {
                state.consumer = nil
                state.producer = nil
            }
            return (state.consumer, state.producer)
        }
        consumer?.resume()
        producer?.resume()
    }

    /// Whether the producer finished (elements may still be buffered).
    var isFinished: Bool { state.withLockedValue { $0.finished } }

    /// Whether the producer finished, and with what failure (elements may still be buffered).
    var ending: (finished: Bool, failure: (any Error)?) { state.withLockedValue { ($0.finished, $0.failure) } }

    /// Whether elements are waiting.
    var hasBuffered: Bool { state.withLockedValue { !$0.buffer.isEmpty } }

    /// The next element if one is already waiting; never waits.
    func nextIfAvailable() -> Element? {
        let (element, wake, room) = state.withLockedValue { state -> (Element?, CheckedContinuation<Void, Never>?, Bool) in
            guard let element = state.buffer.popFirst() else { return (nil, nil, false) }
            defer { state.producer = nil }
            return (element, state.producer, Self.takeRoomWanted(&state, capacity: capacity))
        }
        wake?.resume()
        if room { signalRoom() }
        return element
    }

    /// The next element; nil once finished cleanly and empty. Throws the producer's failure after
    /// the buffered elements, or `CancellationError` when the task is cancelled while waiting (no
    /// element is lost then).
    func next() async throws -> Element? {
        while true {
            let outcome = state.withLockedValue {
                state -> (element: Element?, done: Bool, failure: (any Error)?, wake: CheckedContinuation<Void, Never>?, room: Bool) in
                if let element = state.buffer.popFirst() {
                    defer { state.producer = nil }
                    return (element, true, nil, state.producer, Self.takeRoomWanted(&state, capacity: capacity))
                }
                return (nil, state.finished, state.failure, nil, false)
            }
            outcome.wake?.resume()
            if outcome.room { signalRoom() }
            if let failure = outcome.failure { throw failure }
            if outcome.done { return outcome.element }
            try Task.checkCancellation()
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLockedValue { state -> Bool in
                        if state.finished || !state.buffer.isEmpty || Task.isCancelled { return true }
                        state.consumer = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                wakeConsumer()
            }
        }
    }

    private func wakeProducer() {
        state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            defer { state.producer = nil }
            return state.producer
        }?.resume()
    }

    private func wakeConsumer() {
        state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            defer { state.consumer = nil }
            return state.consumer
        }?.resume()
    }
}
