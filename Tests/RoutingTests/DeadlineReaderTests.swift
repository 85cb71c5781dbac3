import Dialects
import Foundation
import Testing

@testable import Routing

/// A transport exchange driven by the test: each `next()` waits for the test to push an event,
/// or for its task to be cancelled.
private final class PushedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var queued: [UpstreamEvent?] = []
    private var waiting: CheckedContinuation<UpstreamEvent?, Never>?
    private(set) var cancelledWaits = 0

    func push(_ event: UpstreamEvent?) {
        let waiter: CheckedContinuation<UpstreamEvent?, Never>? = lock.withLock {
            if let waiter = waiting {
                waiting = nil
                return waiter
            }
            queued.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    var events: UpstreamEvents {
        UpstreamEvents(next: { await self.next() })
    }

    private func next() async -> UpstreamEvent? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<UpstreamEvent?, Never>) in
                let ready: UpstreamEvent?? = lock.withLock {
                    if !queued.isEmpty { return .some(queued.removeFirst()) }
                    if Task.isCancelled { return .some(nil) }
                    waiting = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<UpstreamEvent?, Never>? = lock.withLock {
                defer { waiting = nil }
                if waiting != nil { cancelledWaits += 1 }
                return waiting
            }
            waiter?.resume(returning: nil)
        }
    }
}

private func describe(_ wait: UpstreamWait) -> String {
    switch wait {
    case .deadline: return "deadline"
    case .event(nil): return "nil"
    case .event(.head(let status, _)?): return "head \(status)"
    case .event(.frame(let bytes)?): return "frame \(String(decoding: bytes, as: UTF8.self))"
    case .event(.body?): return "body"
    case .event(.end?): return "end"
    case .event(.failure(let failure)?): return "failure \(failure.rawValue)"
    }
}

@Suite("Deadline reader", .timeLimit(.minutes(1)))
struct DeadlineReaderTests {
    @Test("events come through in order with the time they arrived, then the exchange's end")
    func eventsInOrder() async {
        let clock = ManualRouterClock()
        let source = PushedEvents()
        source.push(.head(status: 200, headers: []))
        let seen = await DeadlineReader.reading(source.events, clock: clock) { reader -> [String] in
            var seen = [describe(await reader.next(until: .seconds(5)))]
            #expect(reader.lastArrival == .zero)
            clock.advance(by: .seconds(2))
            source.push(.frame(Array("a".utf8)))
            seen.append(describe(await reader.next(until: .seconds(5))))
            #expect(reader.lastArrival == .seconds(2))
            source.push(.end)
            seen.append(describe(await reader.next(until: .seconds(7))))
            // The exchange is over: further reads end at once.
            seen.append(describe(await reader.next(until: .seconds(7))))
            return seen
        }
        #expect(seen == ["head 200", "frame a", "end", "nil"])
    }

    @Test("a deadline that passes while waiting ends the wait and cancels the transport's pending next()")
    func deadlineCancelsPendingRead() async {
        let clock = ManualRouterClock()
        let source = PushedEvents()
        let result = await DeadlineReader.reading(source.events, clock: clock) { reader -> String in
            async let waited = reader.next(until: .seconds(3))
            await clock.waitForSleeper(until: .seconds(3))
            clock.advance(to: .seconds(3))
            return describe(await waited)
        }
        #expect(result == "deadline")
        #expect(source.cancelledWaits == 1)
    }

    @Test("the timer follows a deadline that moves later with every event instead of firing at the first one")
    func movingDeadline() async {
        let clock = ManualRouterClock()
        let source = PushedEvents()
        let seen = await DeadlineReader.reading(source.events, clock: clock) { reader -> [String] in
            var seen: [String] = []
            for second in 1...3 {
                // Each event comes just before the deadline of its wait, which is two seconds after
                // the last one: the timer, asleep until the old deadline, wakes and re-arms itself.
                let deadline = Duration.seconds(Int64(second) * 2)
                async let waited = reader.next(until: deadline)
                clock.advance(to: deadline - .milliseconds(1))
                await clock.waitForSleeper(until: deadline)
                source.push(.frame(Array("\(second)".utf8)))
                seen.append(describe(await waited))
            }
            async let last = reader.next(until: .seconds(8))
            clock.advance(to: .seconds(8))
            seen.append(describe(await last))
            return seen
        }
        #expect(seen == ["frame 1", "frame 2", "frame 3", "deadline"])
    }

    @Test("a cancelled attempt task ends a pending wait with nil")
    func cancellation() async {
        let clock = ManualRouterClock()
        let source = PushedEvents()
        let task = Task {
            await DeadlineReader.reading(source.events, clock: clock) { reader in describe(await reader.next(until: .seconds(60))) }
        }
        await clock.waitForSleeper(until: .seconds(60))
        task.cancel()
        #expect(await task.value == "nil")
    }
}
