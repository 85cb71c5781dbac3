extension CleanStream {
    /// The faithful replay: head, every frame at its scaled offset, the recorded end.
    func faithfulPlan(_ pacing: Pacing) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.streamHead(status: status, headers: headers)
        plan.write(pacedFrames(pacing))
        plan.end(end.step)
        return plan.plan
    }
}

extension CleanBody {
    /// The faithful replay: silence until the recorded (scaled) time, then head and whole body.
    func faithfulPlan(_ pacing: Pacing) -> WirePlan {
        var plan = WirePlanBuilder()
        plan.pause(pacing.scaled(offsetMicros))
        plan.bodyHead(status: status, headers: headers, length: bytes.count)
        plan.write(bytes)
        plan.end(.finish)
        return plan.plan
    }
}
