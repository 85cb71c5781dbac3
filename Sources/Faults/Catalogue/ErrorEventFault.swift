import SSE
import Dialects

/// `error_event:kind=K,after=N`: in a stream, `N` content events, then the dialect's in-band
/// error event for kind `K` and a proper end of the response (as providers do after an in-band
/// error). Without streaming, the HTTP error that kind means (`codec.status(for:)`: overloaded →
/// 529 on Anthropic, 503 elsewhere; rate_limit → 429 …), sent at once.
public struct ErrorEventFault: Fault {
    public static let kind = "error_event"
    public static let keys = ["kind", "after"]

    public var errorKind: ErrorKind
    /// Content events sent before the error event.
    public var after: Int

    public init(kind: ErrorKind, after: Int) {
        self.errorKind = kind
        self.after = after
    }

    public init(parameters: inout FaultParameters) throws(FaultSpecError) {
        errorKind = try parameters.errorKind("kind")
        after = try parameters.count("after")
    }

    public var parameters: [(key: String, value: String)] {
        [(key: "kind", value: errorKind.rawValue), (key: "after", value: String(after))]
    }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        let codec = context.codec
        let sent = StreamLayout(frames: stream.frames, codec: codec).prefixLength(afterContent: after)
        var plan = WirePlanBuilder()
        plan.streamHead(status: stream.status, headers: stream.headers)
        let frames = Array(stream.pacedFrames(context.pacing).prefix(sent))
        plan.write(frames)
        let sentEvents = SSEParser.parse(frames.flatMap(\.bytes)).compactMap(\.event)
        plan.write(codec.encoder.encode(codec.inBandErrorEvent(kind: errorKind, message: nil, after: sentEvents)))
        plan.end(.finish)
        return plan.plan
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        var response = context.codec.errorResponse(kind: errorKind, message: nil, retryAfter: nil)
        response.status = context.codec.status(for: errorKind)
        var plan = WirePlanBuilder()
        plan.errorResponse(response)
        return plan.plan
    }
}
