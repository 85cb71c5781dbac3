/// `slow_first_byte:seconds=S`: the head goes out, then `S` seconds pass before the first frame
/// (stream) or the body (non-stream); the rest is the faithful replay. `S` is wall time, added
/// to the recorded gap before the first frame.
public struct SlowFirstByteFault: Fault {
    public static let kind = "slow_first_byte"
    public static let keys = ["seconds"]

    /// The added delay, in microseconds.
    public var micros: Int64

    public init(micros: Int64) {
        self.micros = micros
    }

    public init(parameters: inout FaultParameters) throws(FaultSpecError) {
        micros = try parameters.seconds("seconds")
    }

    public var parameters: [(key: String, value: String)] {
        [(key: "seconds", value: FaultParameters.formatSeconds(micros))]
    }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.streamHead(status: stream.status, headers: stream.headers)
        plan.pause(micros)
        plan.write(stream.pacedFrames(context.pacing))
        plan.end(stream.end.step)
        return plan.plan
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.pause(context.pacing.scaled(body.offsetMicros))
        plan.bodyHead(status: body.status, headers: body.headers, length: body.bytes.count)
        plan.pause(micros)
        plan.write(body.bytes)
        plan.end(.finish)
        return plan.plan
    }
}
