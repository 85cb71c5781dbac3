import Foundation
import GRDB
import Logging

/// One cassette file: an SQLite database in WAL mode holding interactions with indexed metadata
/// and compressed blobs. Readers never block the single writer, so `tapedeck cassette ls` works
/// while a recorder writes.
///
/// GRDB stays inside this module: callers see only `Interaction`, summaries and `CassetteError`.
public final class CassetteStore: Sendable {
    /// The format version this build writes and reads (SQLite `user_version`).
    public static let formatVersion = 1
    /// SQLite `application_id` marking a Tapedeck cassette ("TPDK").
    static let applicationID: Int32 = 0x5450_444B

    /// The file path, as given.
    public let path: String
    /// How new blobs are compressed (existing blobs are read whatever they used).
    public let compression: CompressionSettings
    let pool: DatabasePool
    let logger: Logger
    /// Whether the file has the `interaction_open` table (a read-only open of an older file does not).
    let hasOpenTable: Bool

    /// How to open a cassette.
    public enum OpenMode: Sendable {
        /// Open an existing cassette; fail when there is none.
        case existing
        /// Open, creating a new cassette when the file does not exist.
        case createIfMissing
        /// Open an existing cassette without ever writing to it.
        case readOnly
    }

    /// Opens (or creates) the cassette at `path`, checking its format version first.
    public init(
        path: String, mode: OpenMode = .existing, compression: CompressionSettings = CompressionSettings(),
        logger: Logger = Logger(label: "tapedeck.cassettes")
    ) throws {
        self.path = path
        self.compression = compression
        self.logger = logger
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && mode != .createIfMissing { throw CassetteError.notFound(path: path) }
        if exists { try Self.checkHeader(path: path) }

        var configuration = Configuration()
        configuration.readonly = mode == .readOnly
        configuration.busyMode = .timeout(10)
        configuration.label = "cassette"
        configuration.prepareDatabase { db in
            // NORMAL in WAL mode: a process crash loses nothing committed; only a power loss
            // may lose the last transactions. Fast enough to commit every batch.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.checkFormat(pool: pool, path: path)
            if mode != .readOnly {
                let migrator = CassetteSchema.migrator
                try migrator.migrate(pool)
            }
            hasOpenTable = try pool.read { db in try db.tableExists("interaction_open") }
        } catch let error as CassetteError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
        logger.debug("cassette opened", metadata: ["path": "\(path)", "mode": "\(mode)"])
    }

    /// Rejects files that are plainly not SQLite before SQLite sees them.
    private static func checkHeader(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CassetteError.databaseFailed(path: path, reason: "the file cannot be opened for reading")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        // An empty main file is normal right after creation: everything may still be in the WAL.
        if !header.isEmpty && header != Data("SQLite format 3\0".utf8) {
            throw CassetteError.notACassette(path: path, reason: "it is not an SQLite database")
        }
    }

    /// Refuses files of a newer format or of another application before anything is written.
    private static func checkFormat(pool: DatabasePool, path: String) throws {
        let (version, application, foreignTables) = try pool.read { db -> (Int, Int32, [String]) in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            let application = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            let ours: Set<String> = ["interaction", "interaction_tag", "interaction_open", "grdb_migrations"]
            return (version, application, tables.filter { !ours.contains($0) })
        }
        if application != 0 && application != applicationID {
            throw CassetteError.notACassette(path: path, reason: "it is an SQLite database of another application")
        }
        if version == 0 && !foreignTables.isEmpty {
            throw CassetteError.notACassette(path: path, reason: "it is an SQLite database without cassette tables")
        }
        if version > formatVersion {
            throw CassetteError.newerFormat(path: path, found: version, supported: formatVersion)
        }
        if version == 0 && pool.configuration.readonly {
            throw CassetteError.notACassette(path: path, reason: "it has no cassette tables")
        }
    }

    /// Turns GRDB and SQLite errors into one `CassetteError` sentence about this file.
    func translate(_ error: any Error) -> CassetteError { Self.translate(error, path: path) }

    static func translate(_ error: any Error, path: String) -> CassetteError {
        if let error = error as? CassetteError { return error }
        if let error = error as? DatabaseError {
            let reason = error.message ?? "\(error.resultCode)"
            switch error.resultCode {
            case .SQLITE_CORRUPT: return .corrupt(path: path, reason: reason)
            case .SQLITE_NOTADB: return .notACassette(path: path, reason: reason)
            default: return .databaseFailed(path: path, reason: reason)
            }
        }
        return .databaseFailed(path: path, reason: "\(error)")
    }

    /// Copies everything in the WAL into the main file, so the file alone is complete
    /// (before sharing it). Readers and the writer may keep running.
    public func checkpoint() throws {
        do {
            try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        } catch {
            throw translate(error)
        }
    }

    /// Closes the file; the store must not be used afterwards.
    public func close() throws {
        do { try pool.close() } catch { throw translate(error) }
    }
}
