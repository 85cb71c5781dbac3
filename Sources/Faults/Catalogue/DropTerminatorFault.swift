/// `drop_terminator`: the stream is replayed without the frames that carry the dialect's
/// terminator (`[DONE]`, `message_stop`, `response.completed` …) and then ends properly, so only
/// a client that checks for the terminator notices. Streams without a terminator (Gemini) are
/// unchanged. Without streaming there is nothing to drop: the faithful replay.
public struct DropTerminatorFault: Fault {
    public static let kind = "drop_terminator"
    public static let keys: [String] = []

    public init() {}
    public init(parameters: inout FaultParameters) throws(FaultSpecError) {}

    public var parameters: [(key: String, value: String)] { [] }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        let terminators = StreamLayout(frames: stream.frames, codec: context.codec).terminatorIndices
        var plan = WirePlanBuilder()
        plan.streamHead(status: stream.status, headers: stream.headers)
        plan.write(stream.pacedFrames(context.pacing).dropping(terminators))
        plan.end(stream.end.step)
        return plan.plan
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        body.faithfulPlan(context.pacing)
    }
}
