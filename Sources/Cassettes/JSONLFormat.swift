import Dialects
import Foundation

/// The JSONL cassette format: one interaction per line, fields in a fixed order, so fixture
/// cassettes are reviewable in git and `export` → `import` → `export` gives identical bytes.
///
/// Bytes (bodies and frames) are written as `"text"` when they are valid UTF-8 (the usual
/// case, and readable) and as `"base64"` otherwise; either way they come back byte for byte.
/// A line:
/// ```
/// {"id":…,"recorded_at":"2025-06-01T12:00:00.123456Z","dialect":"openai_chat","provider":"openai",
///  "endpoint":"/v1/chat/completions","model":"gpt-4o-mini","stream":true,"ending":"complete",
///  "session_id":null,"tags":[],"duration_us":812000,"fingerprint":"…",
///  "request":{"method":"POST","target":"/v1/chat/completions","headers":[["content-type","application/json"]],
///             "body":{"text":"{…}"}},
///  "response":{"status":200,"headers":[…],"offset_us":310000},
///  "frames":[{"offset_us":352000,"text":"data: {…}\n\n"},…]}      (or "body":{"text":…} for non-streams)
/// ```
public enum JSONLFormat {
    /// One line (without its newline) for an interaction.
    public static func line(for interaction: Interaction) -> String {
        let fields: [(String, JSONValue)] = [
            ("id", .string(interaction.id)),
            ("recorded_at", .string(Timestamp.format(interaction.recordedAt))),
            ("dialect", interaction.dialect.map { .string($0.rawValue) } ?? .null),
            ("provider", .string(interaction.provider)),
            ("endpoint", .string(interaction.endpoint)),
            ("model", interaction.model.map(JSONValue.string) ?? .null),
            ("stream", .bool(interaction.stream)),
            ("ending", .string(interaction.ending.rawValue)),
            ("session_id", interaction.sessionID.map(JSONValue.string) ?? .null),
            ("tags", .array(interaction.tags.map(JSONValue.string))),
            ("duration_us", interaction.durationMicros.map { .int(Int($0)) } ?? .null),
            ("fingerprint", .string(interaction.fingerprint)),
        ]
        var request = "{\"method\":\(JSONWriter.string(.string(interaction.request.method)))"
        request += ",\"target\":\(JSONWriter.string(.string(interaction.request.target)))"
        request += ",\"headers\":\(HeaderCoding.encode(interaction.request.headers))"
        request += ",\"body\":\(JSONWriter.string(bytesObject(interaction.request.body)))}"
        var response = "null"
        if let head = interaction.response {
            response = "{\"status\":\(head.status),\"headers\":\(HeaderCoding.encode(head.headers))"
            response += ",\"offset_us\":\(head.offsetMicros.map(String.init) ?? "null")}"
        }
        var text = "{" + fields.map { "\(JSONWriter.string(.string($0.0))):\(JSONWriter.string($0.1))" }.joined(separator: ",")
        text += ",\"request\":\(request),\"response\":\(response)"
        switch interaction.content {
        case .frames(let frames):
            text += ",\"frames\":["
            text += frames.map { frame in
                let (key, value) = bytesField(frame.bytes)
                return "{\"offset_us\":\(frame.offsetMicros),\"\(key)\":\(JSONWriter.string(.string(value)))}"
            }.joined(separator: ",")
            text += "]"
        case .body(let body):
            text += ",\"body\":\(JSONWriter.string(bytesObject(body)))"
        }
        return text + "}"
    }

    /// The interaction a line describes. `file` and `line` only name the place in errors.
    public static func interaction(fromLine text: String, file: String, line: Int) throws -> Interaction {
        func fail(_ reason: String) -> CassetteError { .importFailed(file: file, line: line, reason: reason) }
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw fail("the line is not valid JSON") }
        guard json.objectValue != nil else { throw fail("the line is not a JSON object") }
        func string(_ key: String, in object: JSONValue = json) throws -> String {
            guard let value = object[key]?.stringValue else { throw fail("field \"\(key)\" is missing or not a string") }
            return value
        }
        func optionalString(_ key: String, in object: JSONValue = json) throws -> String? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let text = value.stringValue else { throw fail("field \"\(key)\" is not a string") }
            return text
        }
        func optionalInt(_ key: String, in object: JSONValue) throws -> Int64? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let number = value.intValue else { throw fail("field \"\(key)\" is not an integer") }
            return Int64(number)
        }
        func headers(_ key: String, in object: JSONValue) throws -> [HTTPField] {
            guard let value = object[key], let parsed = HeaderCoding.decode(JSONWriter.string(value)) else {
                throw fail("field \"\(key)\" is not a list of [name, value] pairs")
            }
            return parsed
        }
        func bytes(_ object: JSONValue?, _ what: String) throws -> [UInt8] {
            if let text = object?["text"]?.stringValue { return Array(text.utf8) }
            if let encoded = object?["base64"]?.stringValue {
                guard let data = Data(base64Encoded: encoded) else { throw fail("\(what) has invalid base64") }
                return Array(data)
            }
            throw fail("\(what) needs a \"text\" or \"base64\" field")
        }

        let id = try string("id")
        let recordedText = try string("recorded_at")
        guard let recordedAt = Timestamp.parse(recordedText) else { throw fail("recorded_at \"\(recordedText)\" is not an RFC 3339 time") }
        let dialect = try optionalString("dialect").map { name -> Dialect in
            guard let dialect = Dialect(rawValue: name) else { throw fail("dialect \"\(name)\" is unknown") }
            return dialect
        }
        let endingName = try string("ending")
        guard let ending = Ending(rawValue: endingName) else { throw fail("ending \"\(endingName)\" is unknown") }
        guard let stream = json["stream"]?.boolValue else { throw fail("field \"stream\" is missing or not a boolean") }
        let tags = try (json["tags"]?.arrayValue ?? []).map { tag -> String in
            guard let text = tag.stringValue else { throw fail("tags must be strings") }
            return text
        }
        guard let requestJSON = json["request"], requestJSON.objectValue != nil else { throw fail("field \"request\" is missing") }
        let request = RecordedRequest(
            method: try string("method", in: requestJSON), target: try string("target", in: requestJSON),
            headers: try headers("headers", in: requestJSON), body: try bytes(requestJSON["body"], "request.body"))
        var response: ResponseHead? = nil
        if let responseJSON = json["response"], !responseJSON.isNull {
            guard let status = responseJSON["status"]?.intValue else { throw fail("response.status is missing") }
            response = ResponseHead(
                status: status, headers: try headers("headers", in: responseJSON),
                offsetMicros: try optionalInt("offset_us", in: responseJSON))
        }
        let content: ResponseContent
        if let framesJSON = json["frames"] {
            guard let items = framesJSON.arrayValue else { throw fail("field \"frames\" is not a list") }
            content = .frames(try items.enumerated().map { index, item in
                guard let offset = item["offset_us"]?.intValue else { throw fail("frame \(index) has no integer offset_us") }
                return Frame(offsetMicros: Int64(offset), bytes: try bytes(item, "frame \(index)"))
            })
        } else if let body = json["body"] {
            content = .body(try bytes(body, "body"))
        } else {
            throw fail("the line has neither \"frames\" nor \"body\"")
        }
        return Interaction(
            id: id, recordedAt: recordedAt, dialect: dialect, provider: try string("provider"),
            endpoint: try string("endpoint"), model: try optionalString("model"), stream: stream, request: request,
            response: response, content: content, ending: ending, durationMicros: try optionalInt("duration_us", in: json),
            sessionID: try optionalString("session_id"), tags: tags, fingerprint: try optionalString("fingerprint"))
    }

    /// Every interaction of a JSONL document; blank lines are skipped.
    public static func interactions(from data: Data, file: String) throws -> [Interaction] {
        var result: [Interaction] = []
        var lineNumber = 0
        for slice in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var bytes = Array(slice)
            if bytes.last == 0x0D { bytes.removeLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard let text = UTF8Text.string(bytes) else {
                throw CassetteError.importFailed(file: file, line: lineNumber, reason: "the line is not valid UTF-8")
            }
            result.append(try interaction(fromLine: text, file: file, line: lineNumber))
        }
        return result
    }

    private static func bytesField(_ bytes: [UInt8]) -> (String, String) {
        if let text = UTF8Text.string(bytes) { return ("text", text) }
        return ("base64", Data(bytes).base64EncodedString())
    }

    private static func bytesObject(_ bytes: [UInt8]) -> JSONValue {
        let (key, value) = bytesField(bytes)
        return .object([key: .string(value)])
    }
}
