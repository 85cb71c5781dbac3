import AsyncHTTPClient
import Dialects
import Foundation
import NIOCore
import NIOHTTP1

/// An external gateway (a LiteLLM proxy, `tapedeck route`, …) spoken to over HTTP as its clients do.
public struct HTTPGatewayTarget: AnalysisTarget {
    public let baseURL: String
    public let apiKey: String?
    let client: HTTPClient

    public init(baseURL: String, apiKey: String?, client: HTTPClient = .shared) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
        self.client = client
    }

    public var name: String { baseURL }

    public func call(_ call: ClientCall, deadline: Duration) async -> ClientObservation {
        let recorder = PieceRecorder()
        var request = HTTPClientRequest(url: baseURL + call.endpoint)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if call.stream { request.headers.add(name: "accept", value: "text/event-stream") }
        if let key = call.apiKey ?? apiKey {
            request.headers.add(name: "authorization", value: "Bearer \(key)")
            if call.dialect == .anthropicMessages {
                request.headers.add(name: "x-api-key", value: key)
                request.headers.add(name: "anthropic-version", value: "2023-06-01")
            }
        }
        request.body = .bytes(ByteBuffer(bytes: call.body))
        let client = self.client
        let prepared = request
        let finished = await Deadline.run(deadline) {
            do {
                let response = try await client.execute(prepared, timeout: .seconds(3600))
                await recorder.head(
                    status: Int(response.status.code),
                    headers: response.headers.map { HTTPField($0.name.lowercased(), $0.value) })
                for try await buffer in response.body {
                    await recorder.body(Array(buffer.readableBytesView))
                }
            } catch {
                await recorder.fail(Self.describe(error))
            }
        }
        return await recorder.observation(hung: !finished)
    }

    /// A transport error in the words a client library would use.
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("reset") || text.contains("ECONNRESET") { return "connection reset by peer" }
        if text.contains("remoteConnectionClosed") || text.contains("closed") { return "connection closed before the response ended" }
        if text.contains("refused") { return "connection refused" }
        return text
    }
}
