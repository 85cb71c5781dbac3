import Dialects
import Faults

/// The small synthetic responses every plan test starts from.
enum Sample {
    static let frameTexts = [
        "data: {\"n\":0}\n\n",
        ": keep-alive\n\n",
        "data: {\"n\":1}\n\n",
        "data: {\"n\":2}\n\n",
        "data: [DONE]\n\n",
    ]
    static let offsets: [Int64] = [1_000, 1_500, 2_000, 4_000, 5_000]
    static let frames = zip(frameTexts, offsets).map { Frame(offsetMicros: $1, bytes: Array($0.utf8)) }

    /// Recorded headers, framing headers included (they must not survive planning).
    static let streamHeaders = [
        HTTPField("content-type", "text/event-stream"),
        HTTPField("transfer-encoding", "chunked"),
        HTTPField("x-request-id", "req_1"),
    ]
    static let stream = CleanResponse.stream(status: 200, headers: streamHeaders, frames: frames)

    static let bodyBytes = Array(#"{"text":"hello world"}"#.utf8)
    static let body = CleanResponse.body(
        status: 200,
        headers: [HTTPField("content-type", "application/json"), HTTPField("content-length", "999")],
        bytes: bodyBytes, offsetMicros: 3_000)

    static let context = FaultContext(codec: FakeCodec(), pacing: .realTime)

    /// The head every stream plan starts with.
    static let streamHead = WirePlan.Step.head(
        status: 200, headers: [HTTPField("content-type", "text/event-stream"), HTTPField("x-request-id", "req_1")])

    static func bodyHead(length: Int) -> WirePlan.Step {
        .head(status: 200, headers: [HTTPField("content-type", "application/json"), HTTPField("content-length", String(length))])
    }

    static func write(_ index: Int) -> WirePlan.Step { .write(frames[index].bytes) }
    static func write(_ text: String) -> WirePlan.Step { .write(Array(text.utf8)) }
    static func pause(_ micros: Int64) -> WirePlan.Step { .pause(microseconds: micros) }

    /// A provider error response as FakeCodec shapes it, planned.
    static func errorSteps(status: Int, kind: ErrorKind, retryAfter: Int? = nil) -> [WirePlan.Step] {
        var headers = [HTTPField("content-type", "application/json"), HTTPField("x-fake", "1")]
        if let retryAfter { headers.append(HTTPField("retry-after", String(retryAfter))) }
        let body = FakeCodec.errorBody(kind)
        headers.append(HTTPField("content-length", String(body.count)))
        return [.head(status: status, headers: headers), .write(body), .finish]
    }

    static func errorEventBytes(_ kind: ErrorKind) -> [UInt8] {
        Array("event: error\ndata: \(String(decoding: FakeCodec.errorBody(kind), as: UTF8.self))\n\n".utf8)
    }
}
