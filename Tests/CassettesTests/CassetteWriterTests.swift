import Cassettes
import Dialects
import Foundation
import GRDB
import Testing

/// Collects what a writer reports, from any thread.
final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [CassetteWriteFailure] = []

    func record(_ failure: CassetteWriteFailure) {
        lock.lock()
        failures.append(failure)
        lock.unlock()
    }

    var all: [CassetteWriteFailure] {
        lock.lock()
        defer { lock.unlock() }
        return failures
    }
}

/// Sums what a writer reports committed, from any thread.
final class CommitCount: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0

    func add(_ count: Int) {
        lock.lock()
        total += count
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return total
    }
}

@Suite("Cassette writer")
struct CassetteWriterTests {
    @Test("everything enqueued from many tasks is stored once flushed")
    func concurrentEnqueue() async throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let store = try CassetteStore(path: directory.path("c.sqlite"), mode: .createIfMissing)
        let failures = FailureLog()
        let writer = CassetteWriter(store: store, limits: .init(maxBatch: 64), onError: failures.record)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<100 { writer.enqueue(Sample.openAIStream(id: "t\(task)-\(index)")) }
                }
            }
        }
        await writer.flush()
        #expect(failures.all.isEmpty)
        #expect(try store.stats().interactions == 800)
        #expect(writer.queuedCount == 0)
    }

    @Test("the commit handler counts every interaction once its transaction is committed, and nothing before")
    func commitHandlerCounts() async throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let store = try CassetteStore(path: directory.path("c.sqlite"), mode: .createIfMissing)
        let committed = CommitCount()
        let writer = CassetteWriter(store: store, limits: .init(maxBatch: 7), onCommit: committed.add) { _ in }
        for index in 0..<50 { writer.enqueue(Sample.openAIStream(id: "c-\(index)")) }
        await writer.flush()
        #expect(committed.value == 50)
        #expect(try store.stats().interactions == committed.value)
        // A duplicate id is not stored again, so it is not counted as committed either.
        writer.enqueue(Sample.openAIStream(id: "c-0"))
        await writer.flush()
        #expect(committed.value == 50)
    }

    @Test("a full queue drops the newest interaction and reports it; nothing is lost silently")
    func overflow() async throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        let failures = FailureLog()
        let writer = CassetteWriter(store: store, limits: .init(capacity: 2, maxBatch: 1), onError: failures.record)
        // Another connection holds the write lock, so the writer can take at most one
        // interaction off the queue before it waits: the queue must overflow.
        let blocker = try holdWriteLock(path)
        let ids = (0..<6).map { "ix\($0)" }
        var accepted: [String] = []
        for id in ids where writer.enqueue(Sample.rateLimited(id: id)) { accepted.append(id) }
        try release(blocker)
        await writer.flush()
        let dropped = failures.all.flatMap(\.interactionIDs)
        #expect(!dropped.isEmpty)
        #expect(failures.all.allSatisfy { if case .queueFull = $0.error { true } else { false } })
        let stored = try store.summaries().map(\.id)
        #expect(Set(stored) == Set(accepted))
        #expect(Set(stored).union(dropped) == Set(ids))
        #expect(Set(stored).isDisjoint(with: dropped))
    }

    @Test("a write that fails is reported to the handler and flush still returns")
    func writeFailure() async throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        try CassetteStore(path: path, mode: .createIfMissing).close()
        let readOnly = try CassetteStore(path: path, mode: .readOnly)
        let failures = FailureLog()
        let writer = CassetteWriter(store: readOnly, onError: failures.record)
        #expect(writer.enqueue(Sample.openAIStream(id: "doomed")))
        await writer.flush()
        #expect(failures.all.map(\.interactionIDs) == [["doomed"]])
        if case .databaseFailed(let failedPath, _) = failures.all.first?.error {
            #expect(failedPath == path)
        } else {
            Issue.record("expected a database failure, got \(String(describing: failures.all.first?.error))")
        }
    }

    @Test("after close, enqueue refuses and reports instead of storing")
    func closed() async throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let store = try CassetteStore(path: directory.path("c.sqlite"), mode: .createIfMissing)
        let failures = FailureLog()
        let writer = CassetteWriter(store: store, onError: failures.record)
        writer.enqueue(Sample.openAIStream(id: "before"))
        await writer.close()
        #expect(!writer.enqueue(Sample.openAIStream(id: "after")))
        #expect(failures.all.map(\.error) == [.writerClosed(path: store.path, id: "after")])
        #expect(try store.summaries().map(\.id) == ["before"])
    }

    @Test("a reader sees committed interactions while the writer keeps writing")
    func readersDuringWrites() async throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        let writer = CassetteWriter(store: store) { _ in }
        for index in 0..<50 { writer.enqueue(Sample.openAIStream(id: "a\(index)")) }
        await writer.flush()
        for index in 0..<200 { writer.enqueue(Sample.openAIStream(id: "b\(index)")) }
        let reader = try CassetteStore(path: path, mode: .readOnly)
        let seen = try reader.stats().interactions
        #expect(seen >= 50 && seen <= 250)
        await writer.flush()
        #expect(try reader.stats().interactions == 250)
    }
}

/// Opens a second connection and takes the database's write lock with it.
func holdWriteLock(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.allowsUnsafeTransactions = true  // the transaction outlives this call on purpose
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    try queue.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
    return queue
}

/// Ends the transaction `holdWriteLock` began and closes its connection.
func release(_ queue: DatabaseQueue) throws {
    try queue.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
    try queue.close()
}
