import NIOConcurrencyHelpers
import Testing

@testable import Recorder

/// The inbox between an upstream connection's handler (a producer that cannot wait) and its exchange.
@Suite("Async inbox")
struct AsyncInboxTests {
    struct Boom: Error {}

    @Test("a synchronous producer is told when the inbox is full, and called back once when it has room again")
    func roomSignal() async throws {
        let inbox = AsyncInbox<Int>(capacity: 2)
        let calls = NIOLockedValueBox(0)
        inbox.onRoom { calls.withLockedValue { $0 += 1 } }
        #expect(inbox.offer(1))
        #expect(!inbox.offer(2))
        #expect(!inbox.offer(3))  // taken all the same: it was already read from the socket
        #expect(!inbox.hasRoom())
        #expect(inbox.nextIfAvailable() == 1)
        #expect(calls.withLockedValue { $0 } == 0)  // 2 left: still at capacity
        #expect(try await inbox.next() == 2)
        #expect(calls.withLockedValue { $0 } == 1)
        #expect(inbox.nextIfAvailable() == 3)
        #expect(calls.withLockedValue { $0 } == 1)  // nobody was waiting any more
        #expect(inbox.hasRoom())
    }

    @Test("what was offered before the producer failed reaches the consumer before the failure")
    func failureAfterElements() async throws {
        let inbox = AsyncInbox<Int>(capacity: 4)
        inbox.offer(1)
        inbox.offer(2)
        inbox.finish(throwing: Boom())
        #expect(inbox.ending.finished)
        #expect(try await inbox.next() == 1)
        #expect(try await inbox.next() == 2)
        await #expect(throws: Boom.self) { try await inbox.next() }
    }

    @Test("a consumer waiting on an empty inbox is woken by an offer")
    func wakesConsumer() async throws {
        let inbox = AsyncInbox<Int>(capacity: 4)
        async let value = inbox.next()
        // Whether or not the consumer is already waiting, it gets the element.
        inbox.offer(7)
        #expect(try await value == 7)
    }
}
