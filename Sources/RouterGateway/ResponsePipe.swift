import Dialects
import Foundation
import Routing

/// Carries the router's answer from the routing task to the task writing the HTTP response, one
/// part at a time: a sender waits until its part has been taken, so at most one part is in flight
/// and a slow client slows the router down instead of filling memory.
final class ResponsePipe: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: (part: ClientResponsePart, sender: CheckedContinuation<Void, any Error>)?
    private var receiver: CheckedContinuation<ClientResponsePart?, Never>?
    private var finished = false
    private var broken = false

    /// Hands a part over; returns once the writer has taken it. Throws `ClientGoneError` when the
    /// writer has stopped (the client is gone).
    func send(_ part: ClientResponsePart) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let (taker, refused): (CheckedContinuation<ClientResponsePart?, Never>?, Bool) = lock.withLock {
                if broken || finished { return (nil, true) }
                if let waiting = receiver {
                    receiver = nil
                    return (waiting, false)
                }
                pending = (part, continuation)
                return (nil, false)
            }
            if refused {
                continuation.resume(throwing: ClientGoneError())
            } else if let taker {
                taker.resume(returning: part)
                continuation.resume()
            }
        }
    }

    /// No more parts will come.
    func finish() {
        let waiting: CheckedContinuation<ClientResponsePart?, Never>? = lock.withLock {
            finished = true
            defer { receiver = nil }
            return receiver
        }
        waiting?.resume(returning: nil)
    }

    /// The next part, or nil once the answer is complete or the pipe is broken.
    func receive() async -> ClientResponsePart? {
        await withCheckedContinuation { (continuation: CheckedContinuation<ClientResponsePart?, Never>) in
            let (ready, sender, done): (ClientResponsePart?, CheckedContinuation<Void, any Error>?, Bool) = lock.withLock {
                if let (part, sender) = pending {
                    pending = nil
                    return (part, sender, false)
                }
                if finished || broken { return (nil, nil, true) }
                receiver = continuation
                return (nil, nil, false)
            }
            sender?.resume()
            if let ready {
                continuation.resume(returning: ready)
            } else if done {
                continuation.resume(returning: nil)
            }
        }
    }

    /// The writer stops taking parts: a waiting or later sender gets `ClientGoneError`.
    func breakOff() {
        let (sender, waiting): (CheckedContinuation<Void, any Error>?, CheckedContinuation<ClientResponsePart?, Never>?) = lock.withLock {
            broken = true
            defer {
                pending = nil
                receiver = nil
            }
            return (pending?.sender, receiver)
        }
        sender?.resume(throwing: ClientGoneError())
        waiting?.resume(returning: nil)
    }
}
