import AsyncHTTPClient
import Dialects
import Foundation
import NIOCore
import NIOHTTP1
import SSE

/// A client of the gateway over loopback, reading answers the way an SDK does: streams frame by
/// frame as they arrive, bodies whole.
struct GatewayClient {
    let http: HTTPClient
    let port: Int

    /// A complete answer.
    struct Answer {
        var status: Int
        var headers: [HTTPField]
        var body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
        var isStream: Bool { header("content-type") == "text/event-stream" }

        /// What the client's SDK makes of it.
        func outcome(_ dialect: Dialect) -> Outcome {
            isStream ? dialect.codec.outcome(fromFrames: SSEParser.parse(body)) : dialect.codec.outcome(fromBody: body, status: status)
        }
    }

    static func requestBody(_ dialect: Dialect, model: String, stream: Bool, extra: [String: JSONValue] = [:]) -> [UInt8] {
        var body: [String: JSONValue]
        switch dialect {
        case .openAIChat:
            body = ["model": .string(model), "messages": [["role": "user", "content": "Say hello"]], "stream": .bool(stream)]
        case .openAIResponses:
            body = ["model": .string(model), "input": "Say hello", "stream": .bool(stream)]
        case .anthropicMessages, .gemini:
            body = ["model": .string(model), "max_tokens": 256, "messages": [["role": "user", "content": "Say hello"]], "stream": .bool(stream)]
        }
        body.merge(extra) { $1 }
        return JSONWriter.bytes(.object(body))
    }

    static func path(_ dialect: Dialect) -> String {
        switch dialect {
        case .openAIChat, .gemini: return "/v1/chat/completions"
        case .openAIResponses: return "/v1/responses"
        case .anthropicMessages: return "/v1/messages"
        }
    }

    func start(_ dialect: Dialect, model: String, stream: Bool, key: String? = "sk-master", headers: [(String, String)] = [], extra: [String: JSONValue] = [:]) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(Self.path(dialect))")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let key { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(Self.requestBody(dialect, model: model, stream: stream, extra: extra))
        return try await http.execute(request, timeout: .seconds(30))
    }

    /// Sends a request and reads the whole answer.
    func send(_ dialect: Dialect, model: String, stream: Bool, key: String? = "sk-master", headers: [(String, String)] = [], extra: [String: JSONValue] = [:]) async throws -> Answer {
        let response = try await start(dialect, model: model, stream: stream, key: key, headers: headers, extra: extra)
        var body: [UInt8] = []
        for try await chunk in response.body { body += Array(chunk.readableBytesView) }
        return Answer(status: Int(response.status.code), headers: response.headers.map { HTTPField($0.name.lowercased(), $0.value) }, body: body)
    }
}

extension GatewayClient {
    /// Sends a request body as given (its `stream` field replaced) to an endpoint path.
    func send(path: String, body: JSONValue, stream: Bool, key: String?, headers: [(String, String)] = []) async throws -> Answer {
        var fields = body.objectValue ?? [:]
        fields["stream"] = .bool(stream)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let key { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(JSONWriter.bytes(.object(fields)))
        let response = try await http.execute(request, timeout: .seconds(30))
        var bytes: [UInt8] = []
        for try await chunk in response.body { bytes += Array(chunk.readableBytesView) }
        return Answer(status: Int(response.status.code), headers: response.headers.map { HTTPField($0.name.lowercased(), $0.value) }, body: bytes)
    }
}
