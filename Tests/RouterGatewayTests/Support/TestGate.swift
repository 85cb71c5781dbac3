import Foundation

/// A one-way signal for tests: `wait()` returns once `open()` was called (at once if it already
/// was), or when the waiting task is cancelled.
final class TestGate: @unchecked Sendable {
    private let lock = NSLock()
    private var opened = false
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextToken: UInt64 = 0

    init() {}

    func open() {
        let waiting: [CheckedContinuation<Void, Never>] = lock.withLock {
            opened = true
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        for waiter in waiting { waiter.resume() }
    }

    var isOpen: Bool { lock.withLock { opened } }

    func wait() async {
        let token: UInt64 = lock.withLock {
            nextToken += 1
            return nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now: Bool = lock.withLock {
                    if opened || Task.isCancelled { return true }
                    waiters[token] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: token) }
            waiter?.resume()
        }
    }

    /// Waits for the gate, failing (false) if it stays shut for `limit`: a guard against a test
    /// hanging forever, never a way to wait for something to happen.
    func wait(atMost limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.wait()
                return self.isOpen
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}

/// Counts something that happens, letting a test wait until it has happened a number of times.
final class TestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var waiters: [(target: Int, gate: TestGate)] = []

    var value: Int { lock.withLock { count } }

    func increment() {
        let ready: [TestGate] = lock.withLock {
            count += 1
            let due = waiters.filter { $0.target <= count }.map(\.gate)
            waiters.removeAll { $0.target <= count }
            return due
        }
        for gate in ready { gate.open() }
    }

    /// True once the count reaches `target`; false if it does not within `limit` (a hang guard).
    func wait(forAtLeast target: Int, atMost limit: Duration = .seconds(10)) async -> Bool {
        let gate = TestGate()
        let reached: Bool = lock.withLock {
            if count >= target { return true }
            waiters.append((target, gate))
            return false
        }
        if reached { return true }
        return await gate.wait(atMost: limit)
    }
}
