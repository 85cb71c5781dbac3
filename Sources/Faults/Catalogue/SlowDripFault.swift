/// `slow_drip:ms=M`: every frame of the stream (keep-alives included) is sent `M` milliseconds
/// after the previous one (the first `M` after the head), instead of at its recorded offset.
/// Without streaming there are no frames to pace: the faithful replay.
public struct SlowDripFault: Fault {
    public static let kind = "slow_drip"
    public static let keys = ["ms"]

    /// The interval between frames, in microseconds (whole milliseconds in specs).
    public var intervalMicros: Int64

    public init(milliseconds: Int) {
        self.intervalMicros = Int64(milliseconds) * 1000
    }

    public init(parameters: inout FaultParameters) throws(FaultSpecError) {
        intervalMicros = try parameters.milliseconds("ms")
    }

    public var parameters: [(key: String, value: String)] {
        [(key: "ms", value: String(intervalMicros / 1000))]
    }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.streamHead(status: stream.status, headers: stream.headers)
        for frame in stream.frames {
            plan.pause(intervalMicros)
            plan.write(frame.bytes)
        }
        plan.end(stream.end.step)
        return plan.plan
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        body.faithfulPlan(context.pacing)
    }
}
