/// `stall:after=N,seconds=S`: in a stream, `N` content events, then `S` seconds of silence on an
/// open connection, then the rest of the stream as recorded. A gateway whose idle timeout is
/// shorter than `S` must fail over; one with a longer timeout sees the stream resume. Without
/// streaming, the same silence before the head and body. `S` is wall time.
public struct StallFault: Fault {
    public static let kind = "stall"
    public static let keys = ["after", "seconds"]

    /// Content events sent before the stall.
    public var after: Int
    /// The silence, in microseconds.
    public var micros: Int64

    public init(after: Int, micros: Int64) {
        self.after = after
        self.micros = micros
    }

    public init(parameters: inout FaultParameters) throws(FaultSpecError) {
        after = try parameters.count("after")
        micros = try parameters.seconds("seconds")
    }

    public var parameters: [(key: String, value: String)] {
        [(key: "after", value: String(after)), (key: "seconds", value: FaultParameters.formatSeconds(micros))]
    }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        let sent = StreamLayout(frames: stream.frames, codec: context.codec).prefixLength(afterContent: after)
        var plan = WirePlanBuilder()
        plan.streamHead(status: stream.status, headers: stream.headers)
        let frames = stream.pacedFrames(context.pacing)
        plan.write(Array(frames.prefix(sent)))
        plan.pause(micros)
        plan.write(Array(frames.dropFirst(sent)))
        plan.end(stream.end.step)
        return plan.plan
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.pause(micros + context.pacing.scaled(body.offsetMicros))
        plan.bodyHead(status: body.status, headers: body.headers, length: body.bytes.count)
        plan.write(body.bytes)
        plan.end(.finish)
        return plan.plan
    }
}
