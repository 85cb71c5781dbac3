import Dialects
import Foundation

/// HAR 1.2 (the browser devtools' HTTP Archive) export and import.
///
/// A stream's frames are concatenated into `response.content.text` (what a devtools user
/// expects to read); `timings.wait` is the time to the response head and `timings.receive` the
/// rest. Everything HAR has no field for (frame offsets and sizes, dialect, ending, tags,
/// fingerprint) goes into an `_tapedeck` object per entry (HAR allows `_`-prefixed custom
/// fields), so an exported HAR imports back to the same interactions. HARs from elsewhere are
/// imported from their plain fields; entries whose path is no known LLM endpoint are skipped.
public enum HARFormat {
    /// The HAR document of these interactions, pretty-printed.
    public static func document(_ interactions: [Interaction], creatorVersion: String = "0.1.0") throws -> Data {
        let log: JSONValue = [
            "log": [
                "version": "1.2",
                "creator": ["name": "tapedeck", "version": .string(creatorVersion)],
                "pages": [],
                "entries": .array(interactions.map(entry)),
            ],
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(log)
    }

    static func entry(_ interaction: Interaction) -> JSONValue {
        let url = ImportInference.baseURL(provider: interaction.provider, headers: interaction.request.headers)
            + interaction.request.target
        let headMicros = interaction.response?.offsetMicros ?? firstFrameOffset(interaction) ?? 0
        let endMicros = interaction.durationMicros ?? lastFrameOffset(interaction) ?? headMicros
        let waitMs = Double(max(0, headMicros)) / 1000
        let receiveMs = Double(max(0, endMicros - headMicros)) / 1000
        var request: [String: JSONValue] = [
            "method": .string(interaction.request.method),
            "url": .string(url),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": nameValueList(interaction.request.headers),
            "queryString": queryList(interaction.request.target),
            "headersSize": -1,
            "bodySize": .int(interaction.request.body.count),
        ]
        if !interaction.request.body.isEmpty {
            let mimeType = header("content-type", in: interaction.request.headers) ?? "application/json"
            if let text = UTF8Text.string(interaction.request.body) {
                request["postData"] = ["mimeType": .string(mimeType), "text": .string(text)]
            } else {
                request["postData"] = [
                    "mimeType": .string(mimeType), "text": .string(Data(interaction.request.body).base64EncodedString()),
                    "_encoding": "base64",
                ]
            }
        }
        let responseBytes = interaction.content.bytes
        var content: [String: JSONValue] = [
            "size": .int(responseBytes.count),
            "mimeType": .string(interaction.response.flatMap { header("content-type", in: $0.headers) } ?? ""),
        ]
        if let text = UTF8Text.string(responseBytes) {
            content["text"] = .string(text)
        } else {
            content["text"] = .string(Data(responseBytes).base64EncodedString())
            content["encoding"] = "base64"
        }
        let response: JSONValue = [
            "status": .int(interaction.response?.status ?? 0),
            "statusText": .string(interaction.response.map { HTTPStatusText.text(for: $0.status) } ?? ""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": nameValueList(interaction.response?.headers ?? []),
            "content": .object(content),
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": .int(responseBytes.count),
        ]
        var extra: [String: JSONValue] = [
            "id": .string(interaction.id),
            "dialect": interaction.dialect.map { .string($0.rawValue) } ?? .null,
            "provider": .string(interaction.provider),
            "endpoint": .string(interaction.endpoint),
            "model": interaction.model.map(JSONValue.string) ?? .null,
            "stream": .bool(interaction.stream),
            "ending": .string(interaction.ending.rawValue),
            "session_id": interaction.sessionID.map(JSONValue.string) ?? .null,
            "tags": .array(interaction.tags.map(JSONValue.string)),
            "fingerprint": .string(interaction.fingerprint),
            "duration_us": interaction.durationMicros.map { .int(Int($0)) } ?? .null,
            "response_head_us": interaction.response?.offsetMicros.map { .int(Int($0)) } ?? .null,
            "has_response": .bool(interaction.response != nil),
        ]
        if case .frames(let frames) = interaction.content {
            extra["frames"] = .array(frames.map { .array([.int(Int($0.offsetMicros)), .int($0.bytes.count)]) })
        }
        return [
            "startedDateTime": .string(Timestamp.format(interaction.recordedAt)),
            "time": .double(waitMs + receiveMs),
            "request": .object(request),
            "response": response,
            "cache": [:],
            "timings": ["blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": .double(waitMs),
                        "receive": .double(receiveMs)],
            "_tapedeck": .object(extra),
        ]
    }

    /// The interactions of a HAR document, and a sentence for each entry skipped.
    public static func interactions(from data: Data, file: String, options: ImportOptions = ImportOptions()) throws
        -> (interactions: [Interaction], skipped: [String])
    {
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw CassetteError.importFailed(file: file, line: nil, reason: "it is not valid JSON") }
        guard let entries = json["log"]?["entries"]?.arrayValue else {
            throw CassetteError.importFailed(file: file, line: nil, reason: "it has no log.entries list, so it is not a HAR file")
        }
        var result: [Interaction] = []
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            func fail(_ reason: String) -> CassetteError {
                .importFailed(file: file, line: nil, reason: "entry \(index): \(reason)")
            }
            guard let request = entry["request"], let url = request["url"]?.stringValue,
                let method = request["method"]?.stringValue
            else { throw fail("request.url or request.method is missing") }
            guard let response = entry["response"] else { throw fail("response is missing") }
            let startedText = entry["startedDateTime"]?.stringValue ?? ""
            guard let recordedAt = Timestamp.parse(startedText) else {
                throw fail("startedDateTime \"\(startedText)\" is not an ISO 8601 time")
            }
            let requestBody = try body(request["postData"]?["text"]?.stringValue, base64: request["postData"]?["_encoding"]?.stringValue == "base64") {
                fail("request.postData has invalid base64")
            }
            let responseBody = try body(response["content"]?["text"]?.stringValue, base64: response["content"]?["encoding"]?.stringValue == "base64") {
                fail("response.content has invalid base64")
            }
            let requestHeaders = try nameValues(request["headers"]) { fail("request.headers is not a list of {name, value}") }
            let responseHeaders = try nameValues(response["headers"]) { fail("response.headers is not a list of {name, value}") }
            let status = response["status"]?.intValue ?? 0
            if let extra = entry["_tapedeck"], extra.objectValue != nil {
                result.append(try tapedeckEntry(
                    extra, recordedAt: recordedAt, url: url, method: method, requestHeaders: requestHeaders,
                    requestBody: requestBody, status: status, responseHeaders: responseHeaders,
                    responseBody: responseBody, options: options, fail: fail))
                continue
            }
            let (_, target) = ImportInference.split(url: url)
            guard Dialect.detect(path: target) != nil else {
                skipped.append("entry \(index) (\(method) \(url)) is not a request to a known LLM endpoint")
                continue
            }
            let timings = entry["timings"]
            let beforeHead = ["blocked", "dns", "connect", "ssl", "send", "wait"].reduce(0.0) { sum, key in
                sum + max(0, timings?[key].flatMap(number) ?? 0)
            }
            let total = entry["time"].flatMap(number)
            result.append(ImportInference.interaction(
                id: ImportInference.stableID(prefix: "har", parts: [Array(startedText.utf8), Array(url.utf8), requestBody, responseBody]),
                recordedAt: recordedAt, url: url, method: method, requestHeaders: requestHeaders,
                requestBody: requestBody, status: status == 0 ? nil : status, responseHeaders: responseHeaders,
                responseBody: responseBody, responseHeadMicros: Int64((beforeHead * 1000).rounded()),
                durationMicros: total.map { Int64(($0 * 1000).rounded()) }, options: options))
        }
        return (result, skipped)
    }

    private static func tapedeckEntry(
        _ extra: JSONValue, recordedAt: Date, url: String, method: String, requestHeaders: [HTTPField],
        requestBody: [UInt8], status: Int, responseHeaders: [HTTPField], responseBody: [UInt8], options: ImportOptions,
        fail: (String) -> CassetteError
    ) throws -> Interaction {
        guard let id = extra["id"]?.stringValue, let provider = extra["provider"]?.stringValue,
            let endpoint = extra["endpoint"]?.stringValue, let stream = extra["stream"]?.boolValue,
            let endingName = extra["ending"]?.stringValue
        else { throw fail("_tapedeck lacks id, provider, endpoint, stream or ending") }
        guard let ending = Ending(rawValue: endingName) else { throw fail("_tapedeck.ending \"\(endingName)\" is unknown") }
        let dialect = try extra["dialect"]?.stringValue.map { name -> Dialect in
            guard let dialect = Dialect(rawValue: name) else { throw fail("_tapedeck.dialect \"\(name)\" is unknown") }
            return dialect
        }
        let headMicros = extra["response_head_us"]?.intValue.map(Int64.init)
        let hasResponse = extra["has_response"]?.boolValue ?? (status != 0)
        let content: ResponseContent
        if let sizes = extra["frames"]?.arrayValue {
            var frames: [Frame] = []
            var start = 0
            for item in sizes {
                guard let pair = item.arrayValue, pair.count == 2, let offset = pair[0].intValue, let size = pair[1].intValue,
                    size >= 0, start + size <= responseBody.count
                else { throw fail("_tapedeck.frames does not match the response content") }
                frames.append(Frame(offsetMicros: Int64(offset), bytes: Array(responseBody[start..<(start + size)])))
                start += size
            }
            guard start == responseBody.count else { throw fail("_tapedeck.frames does not cover the response content") }
            content = .frames(frames)
        } else {
            content = .body(responseBody)
        }
        let tags = (extra["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
        return Interaction(
            id: id, recordedAt: recordedAt, dialect: dialect, provider: provider, endpoint: endpoint,
            model: extra["model"]?.stringValue, stream: stream,
            request: RecordedRequest(method: method, target: ImportInference.split(url: url).target, headers: requestHeaders, body: requestBody),
            response: hasResponse ? ResponseHead(status: status, headers: responseHeaders, offsetMicros: headMicros) : nil,
            content: content, ending: ending, durationMicros: extra["duration_us"]?.intValue.map(Int64.init),
            sessionID: extra["session_id"]?.stringValue ?? options.sessionID, tags: tags + options.tags.filter { !tags.contains($0) },
            fingerprint: extra["fingerprint"]?.stringValue)
    }

    private static func body(_ text: String?, base64: Bool, fail: () -> CassetteError) throws -> [UInt8] {
        guard let text else { return [] }
        guard base64 else { return Array(text.utf8) }
        guard let data = Data(base64Encoded: text) else { throw fail() }
        return Array(data)
    }

    private static func nameValues(_ json: JSONValue?, fail: () -> CassetteError) throws -> [HTTPField] {
        guard let json else { return [] }
        guard let items = json.arrayValue else { throw fail() }
        return try items.map { item in
            guard let name = item["name"]?.stringValue, let value = item["value"]?.stringValue else { throw fail() }
            return HTTPField(name, value)
        }
    }

    private static func number(_ json: JSONValue) -> Double? {
        switch json {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    private static func nameValueList(_ headers: [HTTPField]) -> JSONValue {
        .array(headers.map { ["name": .string($0.name), "value": .string($0.value)] })
    }

    private static func queryList(_ target: String) -> JSONValue {
        guard let question = target.firstIndex(of: "?") else { return [] }
        let query = target[target.index(after: question)...]
        return .array(query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            return ["name": .string(name), "value": .string(value)]
        })
    }

    private static func header(_ name: String, in headers: [HTTPField]) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }

    private static func firstFrameOffset(_ interaction: Interaction) -> Int64? {
        if case .frames(let frames) = interaction.content { return frames.first?.offsetMicros }
        return nil
    }

    private static func lastFrameOffset(_ interaction: Interaction) -> Int64? {
        if case .frames(let frames) = interaction.content { return frames.last?.offsetMicros }
        return nil
    }
}

/// Reason phrases for the statuses LLM providers send.
enum HTTPStatusText {
    static func text(for status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 529: return "Site Overloaded"
        default: return ""
        }
    }
}
