import Dialects
import Foundation
import Yams

/// Import of vcrpy / pytest-recording YAML cassettes, so recordings teams already made of
/// OpenAI, Anthropic or Gemini calls become usable here.
///
/// Reads `interactions:` with `request.{method, uri, body, headers}` and
/// `response.{status.code, headers, body.string}`; headers are maps of name to a list of values.
/// Event-stream bodies become frames (one per SSE block, no timing: vcrpy keeps none). Bodies
/// vcrpy stored gzip-compressed (`!!binary` with `Content-Encoding: gzip`) are decompressed, and
/// that header and `Content-Length` dropped, since the stored body is then the decoded one.
public enum VCRFormat {
    public static func interactions(from text: String, file: String, options: ImportOptions = ImportOptions()) throws
        -> (interactions: [Interaction], skipped: [String])
    {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw CassetteError.importFailed(file: file, line: nil, reason: "it is not valid YAML (\(error))")
        }
        guard let root = document as? [String: Any], let items = root["interactions"] as? [Any] else {
            throw CassetteError.importFailed(file: file, line: nil, reason: "it has no top-level interactions list, so it is not a vcrpy cassette")
        }
        var result: [Interaction] = []
        var skipped: [String] = []
        for (index, item) in items.enumerated() {
            func fail(_ reason: String) -> CassetteError {
                .importFailed(file: file, line: nil, reason: "interaction \(index): \(reason)")
            }
            guard let entry = item as? [String: Any], let request = entry["request"] as? [String: Any],
                let response = entry["response"] as? [String: Any]
            else { throw fail("request or response is missing") }
            guard let uri = request["uri"] as? String, let method = request["method"] as? String else {
                throw fail("request.uri or request.method is missing")
            }
            let (_, target) = ImportInference.split(url: uri)
            guard Dialect.detect(path: target) != nil else {
                skipped.append("interaction \(index) (\(method) \(uri)) is not a request to a known LLM endpoint")
                continue
            }
            let requestHeaders = try headers(request["headers"]) { fail("request.headers is not a map of lists") }
            var responseHeaders = try headers(response["headers"]) { fail("response.headers is not a map of lists") }
            let requestBody = bytes(request["body"])
            var responseBody = bytes((response["body"] as? [String: Any])?["string"] ?? response["body"])
            let encoding = responseHeaders.first { $0.name.lowercased() == "content-encoding" }?.value.lowercased()
            if encoding == "gzip" || encoding == "deflate" {
                do {
                    responseBody = try Compression.gunzip(responseBody)
                } catch {
                    throw fail("the \(encoding ?? "") response body cannot be decompressed (\(error))")
                }
                responseHeaders.removeAll { ["content-encoding", "content-length"].contains($0.name.lowercased()) }
            }
            let statusValue = (response["status"] as? [String: Any])?["code"] ?? response["status"]
            guard let status = (statusValue as? Int) ?? (statusValue as? String).flatMap(Int.init) else {
                throw fail("response.status.code is missing")
            }
            result.append(ImportInference.interaction(
                id: ImportInference.stableID(prefix: "vcr", parts: [Array(String(index).utf8), Array(uri.utf8), requestBody, responseBody]),
                recordedAt: options.now.addingTimeInterval(Double(index) / 1_000_000), url: uri, method: method,
                requestHeaders: requestHeaders, requestBody: requestBody, status: status, responseHeaders: responseHeaders,
                responseBody: responseBody, responseHeadMicros: nil, durationMicros: nil, options: options))
        }
        return (result, skipped)
    }

    private static func bytes(_ value: Any?) -> [UInt8] {
        switch value {
        case let text as String: return Array(text.utf8)
        case let data as Data: return Array(data)
        default: return []
        }
    }

    /// vcrpy writes `{Name: [value, …]}`; older cassettes sometimes a plain string per name.
    /// Names are sorted, as YAML maps carry no order.
    private static func headers(_ value: Any?, fail: () -> CassetteError) throws -> [HTTPField] {
        guard let value else { return [] }
        guard let map = value as? [String: Any] else { throw fail() }
        var fields: [HTTPField] = []
        for name in map.keys.sorted() {
            switch map[name] {
            case let values as [Any]:
                for item in values { fields.append(HTTPField(name, "\(item)")) }
            case let single as String:
                fields.append(HTTPField(name, single))
            case let other?:
                fields.append(HTTPField(name, "\(other)"))
            case nil:
                break
            }
        }
        return fields
    }
}
