import Dialects
import Foundation
import GRDB
import SSE

/// One row for the writer's transaction: a finished interaction, or the open row of one under way.
enum PendingRow: Sendable {
    case finished(InteractionRecord)
    case open(InteractionRecord)

    var id: String {
        switch self {
        case .finished(let record), .open(let record): return record.id
        }
    }
}

extension CassetteStore {
    /// Redacts and inserts interactions in one transaction, synchronously. For imports and tools;
    /// live traffic goes through a `CassetteWriter`. Returns how many were new (an id already
    /// present is skipped). An `interrupted` interaction is stored as an open row, as the recorder
    /// leaves it.
    @discardableResult
    public func insert(_ interactions: [Interaction], redactor: Redactor = .standard) throws -> Int {
        let rows = try interactions.map { interaction -> PendingRow in
            let record = try InteractionRecord(redactor.redact(interaction), compression: compression)
            return interaction.ending == .interrupted ? .open(record) : .finished(record)
        }
        do {
            return try pool.write { db in
                var inserted = 0
                for row in rows {
                    switch row {
                    case .finished(let record): if try record.insert(db) { inserted += 1 }
                    case .open(let record): if try record.insertOpen(db) { inserted += 1 }
                    }
                }
                return inserted
            }
        } catch {
            throw translate(error)
        }
    }

    /// Finished interactions and, when the file has them, rows left open by a recorder that died
    /// (ending `interrupted`), under one name with `open_tags`, `seq` and `is_open` added: order
    /// by `recorded_at, is_open, seq`. An open row whose interaction is stored is not shown.
    var source: String {
        let finished = "SELECT \(InteractionRecord.columns), NULL AS open_tags, rowid AS seq, 0 AS is_open FROM interaction"
        guard hasOpenTable else { return "(\(finished))" }
        return """
            (\(finished) UNION ALL
             SELECT \(InteractionRecord.columns), tags AS open_tags, rowid AS seq, 1 AS is_open FROM interaction_open
             WHERE id NOT IN (SELECT id FROM interaction))
            """
    }

    func insert(records: [InteractionRecord]) throws -> Int {
        do {
            return try pool.write { db in
                var inserted = 0
                for record in records where try record.insert(db) { inserted += 1 }
                return inserted
            }
        } catch {
            throw translate(error)
        }
    }

    /// Writes finished interactions and open rows in one transaction, in the given order; returns
    /// how many of each were written.
    func write(rows: [PendingRow]) async throws -> (finished: Int, opened: Int) {
        do {
            return try await pool.write { db in
                var finished = 0
                var opened = 0
                for row in rows {
                    switch row {
                    case .finished(let record): if try record.insert(db) { finished += 1 }
                    case .open(let record): if try record.insertOpen(db) { opened += 1 }
                    }
                }
                return (finished, opened)
            }
        } catch {
            throw translate(error)
        }
    }

    /// Metadata of the matching interactions, oldest first.
    public func summaries(matching filter: InteractionFilter = .all) throws -> [InteractionSummary] {
        let (condition, arguments) = filter.sqlCondition
        let limit = filter.limit.map { " LIMIT \(max(0, $0))" } ?? ""
        do {
            return try pool.read { db in
                let tags = try tagsByID(db, condition: condition, arguments: arguments)
                let rows = try Row.fetchAll(db, sql: """
                    SELECT id, recorded_at, dialect, provider, endpoint, method, model, stream, status, ending,
                           session_id, fingerprint, duration_us, frame_count, request_bytes, response_bytes, stored_bytes,
                           open_tags
                    FROM \(source) WHERE \(condition) ORDER BY recorded_at, is_open, seq\(limit)
                    """, arguments: StatementArguments(arguments))
                return try rows.map { row in
                    let id: String = row[0]
                    let endingName: String = row[9]
                    guard let ending = Ending(rawValue: endingName) else {
                        throw CassetteError.unreadableInteraction(path: path, id: id, reason: "unknown ending \(endingName)")
                    }
                    let dialectName: String? = row[2]
                    return InteractionSummary(
                        id: id, recordedAt: Timestamp.date(micros: row[1]), dialect: dialectName.flatMap(Dialect.init(rawValue:)),
                        provider: row[3], endpoint: row[4], method: row[5], model: row[6], stream: row[7], status: row[8],
                        ending: ending, sessionID: row[10], tags: (tags[id] ?? []) + TagCoding.decode(row[17]), fingerprint: row[11],
                        durationMicros: row[12], frameCount: row[13], requestBytes: row[14], responseBytes: row[15],
                        storedBytes: row[16])
                }
            }
        } catch {
            throw translate(error)
        }
    }

    /// The whole interaction with this id.
    public func interaction(id: String) throws -> Interaction {
        do {
            return try pool.read { db in
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT \(InteractionRecord.columns), open_tags FROM \(source) WHERE id = ? ORDER BY is_open LIMIT 1",
                    arguments: [id])
                else { throw CassetteError.interactionNotFound(path: path, id: id) }
                let tags = try String.fetchAll(
                    db, sql: "SELECT tag FROM interaction_tag WHERE interaction_id = ? ORDER BY position", arguments: [id])
                return try InteractionRecord.decode(row, tags: tags + TagCoding.decode(row["open_tags"]), path: path)
            }
        } catch {
            throw translate(error)
        }
    }

    /// Calls `body` with each matching interaction, oldest first, one at a time (exports of
    /// large cassettes never hold them all in memory).
    public func forEachInteraction(matching filter: InteractionFilter = .all, _ body: (Interaction) throws -> Void) throws {
        let (condition, arguments) = filter.sqlCondition
        let limit = filter.limit.map { " LIMIT \(max(0, $0))" } ?? ""
        do {
            try pool.read { db in
                let tags = try tagsByID(db, condition: condition, arguments: arguments)
                let cursor = try Row.fetchCursor(db, sql: """
                    SELECT \(InteractionRecord.columns), open_tags FROM \(source) WHERE \(condition)
                    ORDER BY recorded_at, is_open, seq\(limit)
                    """, arguments: StatementArguments(arguments))
                while let row = try cursor.next() {
                    let id: String = row[0]
                    let allTags = (tags[id] ?? []) + TagCoding.decode(row["open_tags"])
                    try body(try InteractionRecord.decode(row, tags: allTags, path: path))
                }
            }
        } catch {
            throw translate(error)
        }
    }

    /// All matching interactions, oldest first.
    public func interactions(matching filter: InteractionFilter = .all) throws -> [Interaction] {
        var all: [Interaction] = []
        try forEachInteraction(matching: filter) { all.append($0) }
        return all
    }

    /// Totals over the whole cassette.
    public func stats() throws -> CassetteStats {
        do {
            var stats = try pool.read { db -> CassetteStats in
                let totals = try Row.fetchOne(db, sql: """
                    SELECT count(*), coalesce(sum(frame_count), 0), coalesce(sum(request_bytes + response_bytes), 0),
                           coalesce(sum(stored_bytes), 0), coalesce(sum(response_bytes), 0),
                           coalesce(sum(length(response_blob)), 0) FROM \(source)
                    """)!
                var byEnding: [Ending: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT ending, count(*) FROM \(source) GROUP BY ending") {
                    if let ending = Ending(rawValue: row[0]) { byEnding[ending] = row[1] }
                }
                var byProvider: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT provider, count(*) FROM \(source) GROUP BY provider") {
                    byProvider[row[0]] = row[1]
                }
                var byModel: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT coalesce(model, ''), count(*) FROM \(source) GROUP BY model") {
                    byModel[row[0]] = row[1]
                }
                return CassetteStats(
                    interactions: totals[0], frames: totals[1], rawBytes: totals[2], storedBytes: totals[3],
                    responseRawBytes: totals[4], responseStoredBytes: totals[5],
                    byEnding: byEnding, byProvider: byProvider, byModel: byModel, fileBytes: 0)
            }
            stats.fileBytes = [path, path + "-wal"].reduce(0) { total, file in
                let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
                return total + (size ?? 0)
            }
            return stats
        } catch {
            throw translate(error)
        }
    }

    /// SQLite's integrity check, then ours: every blob decompresses to its recorded size, every
    /// frame list decodes with its recorded count, and event-stream bodies parse as SSE.
    /// Throws when the file itself is unreadable; returns the problems found in interactions.
    public func verify() throws -> VerificationReport {
        do {
            return try pool.read { db in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                if integrity != ["ok"] {
                    throw CassetteError.corrupt(path: path, reason: "SQLite's integrity check says \(integrity.first ?? "nothing")")
                }
                let violations = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
                var report = VerificationReport(interactions: 0, frames: 0, problems: [], problemCount: 0)
                if !violations.isEmpty {
                    report.add("\(violations.count) tag rows point to missing interactions")
                }
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT \(InteractionRecord.columns) FROM \(source) ORDER BY is_open, seq")
                while let row = try cursor.next() {
                    report.interactions += 1
                    do {
                        let interaction = try InteractionRecord.decode(row, tags: [], path: path)
                        report.frames += interaction.content.frameCount
                        if interaction.ending == .interrupted { report.interrupted += 1 }
                        if let problem = Self.streamProblem(interaction) { report.add(problem) }
                    } catch let error as CassetteError {
                        report.add(Self.clause(error))
                    }
                }
                return report
            }
        } catch {
            throw translate(error)
        }
    }

    /// A problem with an interaction's frames that decoding alone does not catch.
    static func streamProblem(_ interaction: Interaction) -> String? {
        guard case .frames(let frames) = interaction.content, !frames.isEmpty else { return nil }
        var previous: Int64 = 0
        for (index, frame) in frames.enumerated() {
            if frame.offsetMicros < previous {
                return "interaction \(interaction.id) has frame \(index) at \(frame.offsetMicros) µs, before the frame ahead of it"
            }
            previous = frame.offsetMicros
        }
        let isEventStream = interaction.response?.headers.contains {
            $0.name.lowercased() == "content-type" && $0.value.lowercased().hasPrefix("text/event-stream")
        } ?? false
        if isEventStream && interaction.response.map({ (200..<300).contains($0.status) }) == true {
            let parsed = SSEParser.parse(interaction.content.bytes)
            if !parsed.contains(where: { $0.event != nil || !$0.comments.isEmpty }) {
                return "interaction \(interaction.id) is an event stream whose frames hold no event or comment"
            }
        }
        return nil
    }

    /// An error's sentence without its trailing period, to join into a report.
    static func clause(_ error: CassetteError) -> String {
        if case .unreadableInteraction(_, let id, let reason) = error { return "interaction \(id) cannot be read: \(reason)" }
        var text = error.description
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Tags of the matching interactions, in their recorded order.
    private func tagsByID(_ db: Database, condition: String, arguments: [String]) throws -> [String: [String]] {
        var tags: [String: [String]] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT interaction_id, tag FROM interaction_tag
            WHERE interaction_id IN (SELECT id FROM \(source) WHERE \(condition))
            ORDER BY interaction_id, position
            """, arguments: StatementArguments(arguments))
        while let row = try rows.next() {
            tags[row[0], default: []].append(row[1])
        }
        return tags
    }
}
