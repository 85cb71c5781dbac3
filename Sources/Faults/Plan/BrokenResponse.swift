/// The shape `cut` and `reset` share: part of the response, then the connection ends badly.
/// Only how it ends differs (a close without the terminator, or a TCP RST).
enum BrokenResponse {
    /// In a stream: the head and `after` content events, then `end`.
    static func plan(_ stream: CleanStream, after: Int, in context: FaultContext, end: WirePlan.Step) -> WirePlan {
        let sent = StreamLayout(frames: stream.frames, codec: context.codec).prefixLength(afterContent: after)
        var plan = WirePlanBuilder()
        plan.streamHead(status: stream.status, headers: stream.headers)
        plan.write(Array(stream.pacedFrames(context.pacing).prefix(sent)))
        plan.end(end)
        return plan.plan
    }

    /// Without streaming: the head announces the full length, half the body goes out, then `end`.
    static func plan(_ body: CleanBody, in context: FaultContext, end: WirePlan.Step) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.pause(context.pacing.scaled(body.offsetMicros))
        plan.bodyHead(status: body.status, headers: body.headers, length: body.bytes.count)
        plan.write(body.bytes.firstHalf)
        plan.end(end)
        return plan.plan
    }
}
