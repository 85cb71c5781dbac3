import AsyncHTTPClient
import Dialects
import Foundation
import NIOCore
import NIOHTTP1
import Logging
import Routing

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
        var headers = [HTTPField("content-type", "application/json")]
        if call.stream { headers.append(HTTPField("accept", "text/event-stream")) }
        if let key = call.apiKey ?? apiKey {
            headers.append(HTTPField("authorization", "Bearer \(key)"))
            if call.dialect == .anthropicMessages {
                headers.append(HTTPField("x-api-key", key))
                headers.append(HTTPField("anthropic-version", "2023-06-01"))
            }
        }
        let client = self.client
        let url = baseURL + call.endpoint
        let requestHeaders = headers
        let finished = await Deadline.run(deadline) {
            do {
                let exchange = try HTTPEventStream(client: client, url: url, headers: requestHeaders, body: call.body, logger: Self.quiet)
                for await event in exchange.events {
                    switch event {
                    case .head(let status, let headers): await recorder.head(status: status, headers: headers)
                    case .body(let bytes): await recorder.body(bytes)
                    case .end: break
                    case .failure(let error): await recorder.fail(Self.describe(error))
                    }
                }
            } catch {
                await recorder.fail(Self.describe(error))
            }
        }
        return await recorder.observation(hung: !finished)
    }

    private static let quiet = Logger(label: "tapedeck.analyze.client")

    /// A transport error in the words a client library would use.
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("reset") || text.contains("ECONNRESET") { return "connection reset by peer" }
        if text.contains("remoteConnectionClosed") || text.contains("closed") { return "connection closed before the response ended" }
        if text.contains("refused") { return "connection refused" }
        return text
    }
}
