/// `stall:after=N,seconds=S`: in a stream, `N` content events, then silence: `S` seconds, then
/// the connection is held open with nothing more sent until the client gives up. Without
/// streaming, the same silence from the start (no head, no body). `S` is wall time.
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
        plan.write(Array(stream.pacedFrames(context.pacing).prefix(sent)))
        plan.pause(micros)
        plan.end(.hang)
        return plan.plan
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.pause(micros)
        plan.end(.hang)
        return plan.plan
    }
}
