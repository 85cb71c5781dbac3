import Cassettes
import Dialects
import Foundation
import GRDB
import Testing

@Suite("Cassette store")
struct CassetteStoreTests {
    @Test("interactions come back exactly as stored, streams and bodies alike")
    func roundTrip() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let store = try CassetteStore(path: directory.path("c.sqlite"), mode: .createIfMissing)
        let originals = [Sample.openAIStream(tags: ["demo", "alpha"]), Sample.anthropicStream(), Sample.rateLimited(),
                         Sample.resetBeforeHeaders()]
        #expect(try store.insert(originals) == 4)
        for original in originals {
            #expect(try store.interaction(id: original.id) == original)
        }
        #expect(try store.interactions().map(\.id) == originals.map(\.id))
    }

    @Test("inserting an id already present is skipped, not duplicated")
    func duplicates() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let store = try CassetteStore(path: directory.path("c.sqlite"), mode: .createIfMissing)
        #expect(try store.insert([Sample.openAIStream()]) == 1)
        #expect(try store.insert([Sample.openAIStream(), Sample.rateLimited()]) == 1)
        #expect(try store.stats().interactions == 2)
    }

    @Test("filters select by model glob, provider, ending, tag and time")
    func filters() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let store = try CassetteStore(path: directory.path("c.sqlite"), mode: .createIfMissing)
        let later = Sample.start.addingTimeInterval(3600)
        try store.insert([
            Sample.openAIStream(id: "a", model: "gpt-4o-mini", tags: ["x"]),
            Sample.openAIStream(id: "b", model: "gpt-4o", at: later, tags: ["y"]),
            Sample.anthropicStream(id: "c", at: later),
            Sample.rateLimited(id: "d"),
        ])
        func ids(_ filter: InteractionFilter) throws -> [String] { try store.summaries(matching: filter).map(\.id) }
        #expect(try ids(InteractionFilter(model: "gpt-4o*")) == ["a", "d", "b"])
        #expect(try ids(InteractionFilter(model: "gpt-4o")) == ["b"])
        #expect(try ids(InteractionFilter(provider: "anthropic")) == ["c"])
        #expect(try ids(InteractionFilter(ending: .httpError)) == ["d"])
        #expect(try ids(InteractionFilter(tag: "y")) == ["b"])
        #expect(try ids(InteractionFilter(since: later)) == ["b", "c"])
        #expect(try ids(InteractionFilter(sessionID: "incident-7")) == ["c"])
        #expect(try ids(InteractionFilter(model: "gpt-4o*", limit: 1)) == ["a"])
        let summary = try #require(try store.summaries(matching: InteractionFilter(tag: "x")).first)
        #expect(summary.tags == ["x"])
        #expect(summary.frameCount == 6)
        #expect(summary.status == 200)
        #expect(summary.storedBytes > 0 && summary.storedBytes < summary.responseBytes)
    }

    @Test("stats count interactions, frames, raw and stored bytes")
    func stats() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let store = try CassetteStore(path: directory.path("c.sqlite"), mode: .createIfMissing)
        let items = [Sample.openAIStream(words: (0..<300).map { " w\($0)" }), Sample.anthropicStream(), Sample.rateLimited()]
        try store.insert(items)
        let stats = try store.stats()
        #expect(stats.interactions == 3)
        #expect(stats.frames == items.reduce(0) { $0 + $1.content.frameCount })
        #expect(stats.rawBytes == items.reduce(0) { $0 + $1.request.body.count + $1.content.byteCount })
        #expect(stats.storedBytes > 0 && stats.storedBytes * 4 < stats.rawBytes)
        #expect(stats.byEnding[.httpError] == 1)
        #expect(stats.byProvider["openai"] == 2)
    }

    @Test("a missing file, a non-SQLite file and a newer format are refused with a sentence naming the file")
    func refusals() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let missing = directory.path("missing.sqlite")
        #expect(throws: CassetteError.notFound(path: missing)) { try CassetteStore(path: missing) }

        let text = directory.path("notes.sqlite")
        try Data("hello, this is not a database at all".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: CassetteError.notACassette(path: text, reason: "it is not an SQLite database")) { try CassetteStore(path: text) }

        let newer = directory.path("newer.sqlite")
        try CassetteStore(path: newer, mode: .createIfMissing).close()
        try sqlite(newer, "PRAGMA user_version = 7;")
        do {
            _ = try CassetteStore(path: newer)
            Issue.record("a newer cassette was opened")
        } catch let error as CassetteError {
            #expect(error == .newerFormat(path: newer, found: 7, supported: CassetteStore.formatVersion))
            #expect(error.description.contains(newer) && error.description.contains("version 7"))
        }
    }

    @Test("a foreign SQLite database is refused and left untouched")
    func foreignDatabase() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let path = directory.path("other.db")
        try sqlite(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY);")
        #expect(throws: CassetteError.self) { try CassetteStore(path: path) }
        #expect(try sqlite(path, ".tables").trimmingCharacters(in: .whitespacesAndNewlines) == "customers")
    }

    @Test("read-only opening works and never creates a file")
    func readOnly() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let writer = try CassetteStore(path: path, mode: .createIfMissing)
        try writer.insert([Sample.rateLimited()])
        let reader = try CassetteStore(path: path, mode: .readOnly)
        #expect(try reader.summaries().count == 1)
        #expect(throws: CassetteError.self) { try reader.insert([Sample.openAIStream()]) }
        #expect(throws: CassetteError.notFound(path: directory.path("none.sqlite"))) {
            try CassetteStore(path: directory.path("none.sqlite"), mode: .readOnly)
        }
    }

    @Test("verify passes a healthy cassette and names the interaction whose blob is damaged")
    func verifyFindsDamage() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        try store.insert([Sample.openAIStream(), Sample.anthropicStream(id: "victim")])
        let healthy = try store.verify()
        #expect(healthy.isValid)
        #expect(healthy.interactions == 2 && healthy.frames == 12)
        try store.close()
        try sqlite(path, "UPDATE interaction SET response_blob = substr(response_blob, 1, length(response_blob) / 2) WHERE id = 'victim';")
        let damaged = try CassetteStore(path: path).verify()
        #expect(damaged.problems.count == 1)
        #expect(damaged.problems.first?.contains("victim") == true)
    }

    @Test("a truncated cassette file fails to open or verify with a clear sentence")
    func truncatedFile() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        try store.insert((0..<40).map { Sample.openAIStream(id: "i\($0)", words: (0..<200).map { " w\($0)" }) })
        try store.checkpoint()
        try store.close()
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        do {
            let reopened = try CassetteStore(path: path)
            let report = try reopened.verify()
            #expect(!report.isValid, "a cut file verified clean")
        } catch let error as CassetteError {
            #expect(error.description.hasPrefix(path))
        }
    }
}

/// Runs SQL on a file from outside the store (the tests' way to damage or inspect cassettes);
/// `.tables` lists the table names.
@discardableResult
func sqlite(_ path: String, _ sql: String) throws -> String {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    if sql == ".tables" {
        return try queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }.joined(separator: " ")
    }
    try queue.writeWithoutTransaction { db in try db.execute(sql: sql) }
    return ""
}
