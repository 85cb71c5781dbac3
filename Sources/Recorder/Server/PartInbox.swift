import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Hands request parts from a connection's reader to its exchanges, holding at most `capacity`
/// parts: when it is full the reader waits, so the client socket is read no faster than the
/// upstream takes the body. One producer, one consumer.
final class PartInbox: Sendable {
    private struct State {
        var buffer = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
        var finished = false
        var consumer: CheckedContinuation<Void, Never>?
        var producer: CheckedContinuation<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())
    private let capacity: Int

    init(capacity: Int = 4) {
        self.capacity = max(1, capacity)
    }

    /// Adds a part, waiting while the inbox is full. False when the inbox was finished meanwhile
    /// or the task was cancelled.
    func push(_ part: HTTPServerRequestPart) async -> Bool {
        while true {
            let outcome = state.withLockedValue { state -> (accepted: Bool?, wake: CheckedContinuation<Void, Never>?) in
                if state.finished { return (false, nil) }
                guard state.buffer.count < capacity else { return (nil, nil) }
                state.buffer.append(part)
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

    /// No more parts will come (the client closed or the connection is ending).
    func finish() {
        let (consumer, producer) = state.withLockedValue { state in
            state.finished = true
            defer {
                state.consumer = nil
                state.producer = nil
            }
            return (state.consumer, state.producer)
        }
        consumer?.resume()
        producer?.resume()
    }

    /// The next part; nil once finished and empty, or when the task is cancelled while waiting.
    func next() async -> HTTPServerRequestPart? {
        while true {
            let outcome = state.withLockedValue { state -> (part: HTTPServerRequestPart?, done: Bool, wake: CheckedContinuation<Void, Never>?) in
                if let part = state.buffer.popFirst() {
                    defer { state.producer = nil }
                    return (part, true, state.producer)
                }
                return (nil, state.finished, nil)
            }
            outcome.wake?.resume()
            if outcome.done { return outcome.part }
            if Task.isCancelled { return nil }
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
