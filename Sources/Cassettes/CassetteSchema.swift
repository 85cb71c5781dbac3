import Dialects
import GRDB

/// The cassette schema as named migrations. A migration, once released, is never edited: a
/// change is a new migration that also raises `CassetteStore.formatVersion` when older builds
/// could misread the result.
enum CassetteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: interactions and tags") { db in
            // Spelled out, not `Ending.allCases`: a released migration must not change when a case is
            // added (`interrupted` lives in `interaction_open`, never in this table).
            let endings = v1Endings.map { "'\($0)'" }.joined(separator: ", ")
            try db.execute(sql: """
                CREATE TABLE interaction (
                    id TEXT PRIMARY KEY NOT NULL,
                    recorded_at INTEGER NOT NULL,            -- µs since 1970, UTC
                    dialect TEXT,
                    provider TEXT NOT NULL,
                    endpoint TEXT NOT NULL,
                    method TEXT NOT NULL,
                    model TEXT,
                    stream INTEGER NOT NULL CHECK (stream IN (0, 1)),
                    status INTEGER,                          -- NULL: no response head arrived
                    ending TEXT NOT NULL CHECK (ending IN (\(endings))),
                    session_id TEXT,
                    fingerprint TEXT NOT NULL,
                    duration_us INTEGER,
                    request_target TEXT NOT NULL,
                    request_headers TEXT NOT NULL,           -- JSON [[name, value], …], redacted
                    request_body BLOB NOT NULL,              -- BlobCodec
                    response_head_us INTEGER,
                    response_headers TEXT,                   -- JSON [[name, value], …], redacted
                    response_kind TEXT NOT NULL CHECK (response_kind IN ('frames', 'body')),
                    response_blob BLOB NOT NULL,             -- BlobCodec; frames via encodeFrames
                    frame_count INTEGER NOT NULL CHECK (frame_count >= 0),
                    request_bytes INTEGER NOT NULL CHECK (request_bytes >= 0),
                    response_bytes INTEGER NOT NULL CHECK (response_bytes >= 0),
                    stored_bytes INTEGER NOT NULL CHECK (stored_bytes >= 0),
                    CHECK ((status IS NULL) = (response_headers IS NULL))
                );
                CREATE INDEX interaction_recorded_at ON interaction(recorded_at);
                CREATE INDEX interaction_model ON interaction(model);
                CREATE INDEX interaction_provider ON interaction(provider);
                CREATE INDEX interaction_ending ON interaction(ending);
                CREATE INDEX interaction_session ON interaction(session_id);
                CREATE INDEX interaction_fingerprint ON interaction(fingerprint);
                CREATE TABLE interaction_tag (
                    interaction_id TEXT NOT NULL REFERENCES interaction(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (interaction_id, position)
                ) WITHOUT ROWID;
                CREATE INDEX interaction_tag_tag ON interaction_tag(tag);
                PRAGMA application_id = \(CassetteStore.applicationID);
                PRAGMA user_version = 1;
                """)
        }
        migrator.registerMigration("v2: interactions left open by a recorder that died") { db in
            // Additive: readers that do not know this table ignore it and see what they saw before
            // (finished interactions only), so `user_version` stays 1. Same columns as
            // `interaction` so both read through one query; tags as a JSON list.
            try db.execute(sql: """
                CREATE TABLE interaction_open (
                    id TEXT PRIMARY KEY NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    dialect TEXT,
                    provider TEXT NOT NULL,
                    endpoint TEXT NOT NULL,
                    method TEXT NOT NULL,
                    model TEXT,
                    stream INTEGER NOT NULL CHECK (stream IN (0, 1)),
                    status INTEGER,
                    ending TEXT NOT NULL CHECK (ending = 'interrupted'),
                    session_id TEXT,
                    fingerprint TEXT NOT NULL,
                    duration_us INTEGER,
                    request_target TEXT NOT NULL,
                    request_headers TEXT NOT NULL,           -- redacted, as in interaction
                    request_body BLOB NOT NULL,
                    response_head_us INTEGER,
                    response_headers TEXT,
                    response_kind TEXT NOT NULL CHECK (response_kind IN ('frames', 'body')),
                    response_blob BLOB NOT NULL,
                    frame_count INTEGER NOT NULL CHECK (frame_count >= 0),
                    request_bytes INTEGER NOT NULL CHECK (request_bytes >= 0),
                    response_bytes INTEGER NOT NULL CHECK (response_bytes >= 0),
                    stored_bytes INTEGER NOT NULL CHECK (stored_bytes >= 0),
                    tags TEXT NOT NULL DEFAULT '[]',         -- JSON list of strings
                    CHECK ((status IS NULL) = (response_headers IS NULL))
                );
                """)
        }
        return migrator
    }

    /// The endings the v1 `interaction` table accepts, as released.
    static let v1Endings = ["complete", "http_error", "in_band_error", "truncated", "reset", "timeout", "client_aborted"]
}
