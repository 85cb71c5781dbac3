/// `reset:after=N`: in a stream, `N` content events, then a TCP RST. Without streaming, the
/// head announces the full length, half the body is sent, then a TCP RST.
public struct ResetFault: Fault {
    public static let kind = "reset"
    public static let keys = ["after"]

    /// Content events sent before the reset.
    public var after: Int

    public init(after: Int) {
        self.after = after
    }

    public init(parameters: inout FaultParameters) throws(FaultSpecError) {
        after = try parameters.count("after")
    }

    public var parameters: [(key: String, value: String)] { [(key: "after", value: String(after))] }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        let sent = StreamLayout(frames: stream.frames, codec: context.codec).prefixLength(afterContent: after)
        var plan = WirePlanBuilder()
        plan.streamHead(status: stream.status, headers: stream.headers)
        plan.write(Array(stream.pacedFrames(context.pacing).prefix(sent)))
        plan.end(.reset)
        return plan.plan
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.pause(context.pacing.scaled(body.offsetMicros))
        plan.bodyHead(status: body.status, headers: body.headers, length: body.bytes.count)
        plan.write(body.bytes.firstHalf)
        plan.end(.reset)
        return plan.plan
    }
}
