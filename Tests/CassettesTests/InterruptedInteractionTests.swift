@testable import Cassettes
import Dialects
import Foundation
import GRDB
import Testing

/// Open rows: an exchange under way is written before it ends, so a recorder that dies leaves it
/// in the cassette as `interrupted`.
@Suite("Interactions left open by a recorder that died")
struct InterruptedInteractionTests {
    /// What the recorder knows when the response head arrives: the request and the head, no frames.
    static func opened(id: String, tags: [String] = []) -> Interaction {
        var interaction = Sample.openAIStream(id: id, tags: tags)
        interaction.content = .frames([])
        interaction.ending = .interrupted
        interaction.durationMicros = nil
        return interaction
    }

    static func openRowCount(_ path: String) throws -> Int {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM interaction_open") ?? -1 }
    }

    @Test("an open row and its finished interaction in one batch leave only the finished interaction")
    func openThenFinishInOneTransaction() async throws {
        let directory = try ScratchDirectory("interrupted")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        let finished = CommitCount()
        let opened = CommitCount()
        let writer = CassetteWriter(
            store: store, onCommit: finished.add, onOpenCommit: opened.add, onError: { _ in })
        writer.enqueueOpen(Self.opened(id: "a"))
        writer.enqueue(Sample.openAIStream(id: "a"))
        await writer.flush()

        let summaries = try store.summaries()
        #expect(summaries.map(\.id) == ["a"])
        #expect(summaries.first?.ending == .complete)
        #expect(finished.value == 1)
        #expect(try Self.openRowCount(path) == 0)
        try store.close()
    }

    @Test("an open row committed earlier is removed by the transaction that stores its interaction")
    func openThenFinishLater() async throws {
        let directory = try ScratchDirectory("interrupted")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        let opened = CommitCount()
        let writer = CassetteWriter(store: store, onOpenCommit: opened.add, onError: { _ in })
        writer.enqueueOpen(Self.opened(id: "b"))
        await writer.flush()
        #expect(opened.value == 1)
        #expect(try Self.openRowCount(path) == 1)
        #expect(try store.summaries().map(\.ending) == [.interrupted])

        writer.enqueue(Sample.openAIStream(id: "b"))
        await writer.flush()
        #expect(try Self.openRowCount(path) == 0)
        let interaction = try store.interaction(id: "b")
        #expect(interaction.ending == .complete)
        #expect(interaction == Sample.openAIStream(id: "b"))
        try store.close()
    }

    @Test("an open row never finished is listed, shown, counted and verified as an interrupted interaction")
    func openWithoutFinish() async throws {
        let directory = try ScratchDirectory("interrupted")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        let writer = CassetteWriter(store: store, onError: { _ in })
        writer.enqueue(Sample.openAIStream(id: "done", at: Sample.start))
        writer.enqueueOpen(Self.opened(id: "cut", tags: ["night-shift"]))
        await writer.flush()
        try store.close()

        // As `tapedeck cassette ls/show/verify` open it after the crash.
        let reader = try CassetteStore(path: path, mode: .readOnly)
        defer { try? reader.close() }
        let summaries = try reader.summaries()
        #expect(summaries.map(\.id) == ["done", "cut"])
        let cut = try #require(summaries.last)
        #expect(cut.ending == .interrupted)
        #expect(cut.frameCount == 0)
        #expect(cut.status == 200)
        #expect(cut.tags == ["night-shift"])
        #expect(try reader.summaries(matching: InteractionFilter(ending: .interrupted)).map(\.id) == ["cut"])
        #expect(try reader.summaries(matching: InteractionFilter(tag: "night-shift")).map(\.id) == ["cut"])
        #expect(try reader.summaries(matching: InteractionFilter(tag: "night")).isEmpty)

        let shown = try reader.interaction(id: "cut")
        #expect(shown.request == Sample.openAIStream(id: "cut").request)
        #expect(shown.response == Sample.openAIStream(id: "cut").response)
        #expect(shown.content == .frames([]))
        #expect(try reader.interactions().map(\.ending) == [.complete, .interrupted])

        let report = try reader.verify()
        #expect(report.isValid, "\(report.problems)")
        #expect(report.interactions == 2)
        #expect(report.interrupted == 1)
        #expect(try reader.stats().byEnding[.interrupted] == 1)
    }

    @Test("open rows are redacted like finished interactions: the secret never reaches the file")
    func openRowIsRedacted() async throws {
        let directory = try ScratchDirectory("interrupted")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let secret = "sk-proj-FAKE0open0row0secret0000000042"
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        let writer = CassetteWriter(store: store, onError: { _ in })
        var open = Self.opened(id: "s")
        open.request.headers = [HTTPField("Authorization", "Bearer \(secret)")]
        writer.enqueueOpen(open)
        await writer.flush()
        let stored = try store.interaction(id: "s")
        #expect(stored.request.headers.first?.value.contains(secret) == false)
        try store.close()
        for file in [path, path + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "the secret is in \(file)")
        }
    }

    @Test("a cassette made before open rows existed reads as before and gains the table, format version unchanged")
    func migratesOlderFile() throws {
        let directory = try ScratchDirectory("interrupted")
        defer { directory.remove() }
        let path = directory.path("old.sqlite")
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        try store.insert([Sample.openAIStream(id: "old"), Sample.rateLimited(id: "old-429")])
        try store.close()
        // Back to the file as the previous release left it: v1 migration only, no open table.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TABLE interaction_open")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v2:%'")
        }
        try queue.close()

        let readOnly = try CassetteStore(path: path, mode: .readOnly)
        #expect(try readOnly.summaries().map(\.id) == ["old", "old-429"])
        #expect(try readOnly.verify().isValid)
        try readOnly.close()

        let reopened = try CassetteStore(path: path, mode: .existing)
        #expect(try reopened.interactions().map(\.id) == ["old", "old-429"])
        try reopened.insert([Self.opened(id: "new-open")])
        #expect(try reopened.summaries().map(\.ending) == [.complete, .httpError, .interrupted])
        try reopened.close()
        #expect(try Self.openRowCount(path) == 1)
        let check = try DatabaseQueue(path: path)
        defer { try? check.close() }
        #expect(try check.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") } == CassetteStore.formatVersion)
        #expect(CassetteStore.formatVersion == 1)
    }
}
