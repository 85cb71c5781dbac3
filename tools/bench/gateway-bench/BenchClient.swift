import AsyncHTTPClient
import Foundation
import NIOCore
import SSE

/// What one streamed request measured.
struct RequestSample {
    /// From sending the request to the first text-bearing block.
    var timeToFirstText: Duration
    /// For every text-bearing block: from the upstream sending it to the client having it.
    var frameLatencies: [Duration]
    var textFrames: Int
    var bytes: Int
}

/// Streams one request and times its text-bearing blocks as they arrive.
func streamOnce(http: HTTPClient, url: String, id: String, upstream: BenchUpstream) async throws -> RequestSample {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    request.headers.add(name: "authorization", value: "Bearer \(benchMasterKey)")
    request.headers.add(name: "x-tapedeck-bench-id", value: id)
    request.body = .bytes(ByteBuffer(string: benchRequestBody))
    let start = ContinuousClock.now
    // Generous: a slow gateway at 50 concurrent full-speed streams takes minutes, and that is a result, not an error.
    let response = try await http.execute(request, timeout: .seconds(900))
    guard response.status == .ok else {
        let body = try await response.body.collect(upTo: 1 << 16)
        throw BenchError.status(Int(response.status.code), String(buffer: body))
    }
    var parser = SSEParser()
    var arrivals: [ContinuousClock.Instant] = []
    var bytes = 0
    for try await chunk in response.body {
        let now = ContinuousClock.now
        bytes += chunk.readableBytes
        for frame in parser.feed(chunk.readableBytesView) where TextFrames.carriesText(frame.raw) {
            arrivals.append(now)
        }
    }
    let sent = upstream.sentTimes(id)
    guard let first = arrivals.first, sent.count == arrivals.count else {
        throw BenchError.frameMismatch(sent: sent.count, received: arrivals.count)
    }
    return RequestSample(
        timeToFirstText: first - start, frameLatencies: zip(sent, arrivals).map { $1 - $0 }, textFrames: arrivals.count, bytes: bytes)
}

/// The gateways' master key: a placeholder, never a real secret.
let benchMasterKey = "sk-bench-master-placeholder"

let benchRequestBody = """
    {"model":"gpt-4o","messages":[{"role":"user","content":"Tell me a long story."}],"stream":true,"stream_options":{"include_usage":true}}
    """

enum BenchError: Error, CustomStringConvertible {
    case status(Int, String)
    case frameMismatch(sent: Int, received: Int)

    var description: String {
        switch self {
        case .status(let status, let body): return "a request got HTTP \(status): \(body.prefix(300))"
        case .frameMismatch(let sent, let received): return "the upstream sent \(sent) text blocks but the client got \(received)"
        }
    }
}
