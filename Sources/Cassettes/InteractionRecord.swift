import Dialects
import Foundation
import GRDB

/// An interaction as one row: metadata columns plus compressed blobs. Encoding (the costly part,
/// compression) happens before a write transaction starts, so transactions stay short.
struct InteractionRecord: Sendable {
    var id: String
    var recordedAtMicros: Int64
    var dialect: String?
    var provider: String
    var endpoint: String
    var method: String
    var model: String?
    var stream: Bool
    var status: Int?
    var ending: String
    var sessionID: String?
    var fingerprint: String
    var durationMicros: Int64?
    var requestTarget: String
    var requestHeaders: String
    var requestBody: [UInt8]
    var responseHeadMicros: Int64?
    var responseHeaders: String?
    var responseKind: String
    var responseBlob: [UInt8]
    var frameCount: Int
    var requestBytes: Int
    var responseBytes: Int
    var tags: [String]

    var storedBytes: Int { requestBody.count + responseBlob.count }

    /// The columns every query selects, in the order `decode` reads them.
    static let columns = """
        id, recorded_at, dialect, provider, endpoint, method, model, stream, status, ending, session_id, \
        fingerprint, duration_us, request_target, request_headers, request_body, response_head_us, \
        response_headers, response_kind, response_blob, frame_count, request_bytes, response_bytes, stored_bytes
        """

    /// Compresses an (already redacted) interaction.
    init(_ interaction: Interaction, compression: CompressionSettings) throws {
        let dictionary = compression.usesDictionaries ? CompressionDictionary.forWriting(interaction.dialect) : nil
        let level = compression.level
        id = interaction.id
        recordedAtMicros = Timestamp.micros(interaction.recordedAt)
        dialect = interaction.dialect?.rawValue
        provider = interaction.provider
        endpoint = interaction.endpoint
        method = interaction.request.method
        model = interaction.model
        stream = interaction.stream
        status = interaction.response?.status
        ending = interaction.ending.rawValue
        sessionID = interaction.sessionID
        fingerprint = interaction.fingerprint
        durationMicros = interaction.durationMicros
        requestTarget = interaction.request.target
        requestHeaders = HeaderCoding.encode(interaction.request.headers)
        requestBody = try BlobCodec.compress(interaction.request.body, level: level, dictionary: dictionary)
        responseHeadMicros = interaction.response?.offsetMicros
        responseHeaders = interaction.response.map { HeaderCoding.encode($0.headers) }
        switch interaction.content {
        case .frames(let frames):
            responseKind = "frames"
            responseBlob = try BlobCodec.compress(parts: BlobCodec.encodeFrameParts(frames), level: level, dictionary: dictionary)
            frameCount = frames.count
        case .body(let body):
            responseKind = "body"
            responseBlob = try BlobCodec.compress(body, level: level, dictionary: dictionary)
            frameCount = 0
        }
        requestBytes = interaction.request.body.count
        responseBytes = interaction.content.byteCount
        tags = interaction.tags
    }

    static let insertSQL = """
        INSERT INTO interaction (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO NOTHING
        """

    /// Inserts the row and its tags; false when an interaction with this id already exists.
    func insert(_ db: Database) throws -> Bool {
        let statement = try db.cachedStatement(sql: Self.insertSQL)
        let values: [(any DatabaseValueConvertible)?] = [
            id, recordedAtMicros, dialect, provider, endpoint, method, model, stream, status, ending, sessionID,
            fingerprint, durationMicros, requestTarget, requestHeaders, Data(requestBody), responseHeadMicros,
            responseHeaders, responseKind, Data(responseBlob), frameCount, requestBytes, responseBytes, storedBytes,
        ]
        try statement.execute(arguments: StatementArguments(values))
        guard db.changesCount > 0 else { return false }
        // In the same transaction as the insert: an open row left over is an exchange that never finished.
        try db.cachedStatement(sql: "DELETE FROM interaction_open WHERE id = ?").execute(arguments: [id])
        if !tags.isEmpty {
            let tagStatement = try db.cachedStatement(
                sql: "INSERT INTO interaction_tag (interaction_id, position, tag) VALUES (?, ?, ?)")
            for (position, tag) in tags.enumerated() {
                try tagStatement.execute(arguments: [id, position, tag])
            }
        }
        return true
    }

    static let insertOpenSQL = """
        INSERT OR REPLACE INTO interaction_open (\(columns), tags)
        SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
        WHERE NOT EXISTS (SELECT 1 FROM interaction WHERE id = ?)
        """

    /// Writes (or rewrites) the row of an exchange still under way, unless its interaction is
    /// already stored; true when written. The ending column is always `interrupted`: the row only
    /// shows if the exchange never finishes.
    func insertOpen(_ db: Database) throws -> Bool {
        let statement = try db.cachedStatement(sql: Self.insertOpenSQL)
        let values: [(any DatabaseValueConvertible)?] = [
            id, recordedAtMicros, dialect, provider, endpoint, method, model, stream, status, Ending.interrupted.rawValue,
            sessionID, fingerprint, durationMicros, requestTarget, requestHeaders, Data(requestBody), responseHeadMicros,
            responseHeaders, responseKind, Data(responseBlob), frameCount, requestBytes, responseBytes, storedBytes,
            TagCoding.encode(tags), id,
        ]
        try statement.execute(arguments: StatementArguments(values))
        return db.changesCount > 0
    }

    /// Decompresses a row (selected with `columns`) back into an interaction.
    static func decode(_ row: Row, tags: [String], path: String) throws -> Interaction {
        let id: String = row[0]
        func fail(_ reason: String) -> CassetteError { .unreadableInteraction(path: path, id: id, reason: reason) }
        let dialectName: String? = row[2]
        let dialect = try dialectName.map { name -> Dialect in
            guard let dialect = Dialect(rawValue: name) else { throw fail("unknown dialect \(name)") }
            return dialect
        }
        let endingName: String = row[9]
        guard let ending = Ending(rawValue: endingName) else { throw fail("unknown ending \(endingName)") }
        let requestBytes: Int = row[21]
        let responseBytes: Int = row[22]
        let frameCount: Int = row[20]
        let requestBody: [UInt8]
        let responsePayload: [UInt8]
        do {
            requestBody = try BlobCodec.decompress(blob(row[15]), expectedSize: requestBytes)
        } catch {
            throw fail("the request body blob: \(error)")
        }
        let kind: String = row[18]
        let content: ResponseContent
        do {
            // A frame list's serialized size is not stored, only its frames' bytes, so no
            // expected size for it; the frame list decoder checks lengths itself.
            responsePayload = try BlobCodec.decompress(blob(row[19]), expectedSize: kind == "body" ? responseBytes : nil)
        } catch {
            throw fail("the response blob: \(error)")
        }
        switch kind {
        case "frames":
            let frames: [Frame]
            do { frames = try BlobCodec.decodeFrames(responsePayload) } catch { throw fail("\(error)") }
            guard frames.count == frameCount else {
                throw fail("the frame list holds \(frames.count) frames instead of the recorded \(frameCount)")
            }
            let total = frames.reduce(0) { $0 + $1.bytes.count }
            guard total == responseBytes else {
                throw fail("the frames hold \(total) bytes instead of the recorded \(responseBytes)")
            }
            content = .frames(frames)
        case "body": content = .body(responsePayload)
        default: throw fail("unknown response kind \(kind)")
        }
        let status: Int? = row[8]
        let responseHeadersText: String? = row[17]
        var response: ResponseHead? = nil
        if let status {
            guard let headers = HeaderCoding.decode(responseHeadersText ?? "") else { throw fail("the response headers are not a JSON list of pairs") }
            response = ResponseHead(status: status, headers: headers, offsetMicros: row[16])
        }
        guard let requestHeaders = HeaderCoding.decode(row[14]) else { throw fail("the request headers are not a JSON list of pairs") }
        let method: String = row[5]
        return Interaction(
            id: id,
            recordedAt: Timestamp.date(micros: row[1]),
            dialect: dialect,
            provider: row[3],
            endpoint: row[4],
            model: row[6],
            stream: row[7],
            request: RecordedRequest(method: method, target: row[13], headers: requestHeaders, body: requestBody),
            response: response,
            content: content,
            ending: ending,
            durationMicros: row[12],
            sessionID: row[10],
            tags: tags,
            fingerprint: row[11]
        )
    }

    private static func blob(_ value: DatabaseValue) -> [UInt8] {
        if let data = Data.fromDatabaseValue(value) { return Array(data) }
        return []
    }
}

/// Headers as the JSON text stored in a column: `[["name","value"],…]`, readable with plain SQL.
enum HeaderCoding {
    static func encode(_ headers: [HTTPField]) -> String {
        JSONWriter.string(.array(headers.map { .array([.string($0.name), .string($0.value)]) }))
    }

    static func decode(_ text: String) -> [HTTPField]? {
        guard let json = try? JSONValue.parse(text), let items = json.arrayValue else { return nil }
        var headers: [HTTPField] = []
        for item in items {
            guard let pair = item.arrayValue, pair.count == 2, let name = pair[0].stringValue,
                let value = pair[1].stringValue
            else { return nil }
            headers.append(HTTPField(name, value))
        }
        return headers
    }
}

/// Tags of an open row as the JSON list stored in its `tags` column.
enum TagCoding {
    static func encode(_ tags: [String]) -> String { JSONWriter.string(.array(tags.map { .string($0) })) }

    /// One tag as it appears inside that list, to find it with `instr` (no JSON1 needed).
    static func element(_ tag: String) -> String { JSONWriter.string(.string(tag)) }

    static func decode(_ text: String?) -> [String] {
        guard let text, let items = (try? JSONValue.parse(text))?.arrayValue else { return [] }
        return items.compactMap(\.stringValue)
    }
}
