/// `no_response:seconds=S`: the request is accepted and never answered, in both modes: `S`
/// seconds of silence on an open connection, then the connection is closed without a response.
/// A client whose timeout is shorter than `S` sees a timeout; a longer one sees the connection
/// drop. `S` is wall time: `--speed` does not scale it.
public struct NoResponseFault: Fault {
    public static let kind = "no_response"
    public static let keys = ["seconds"]

    /// The silence, in microseconds.
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

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan { silence() }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan { silence() }

    private func silence() -> WirePlan {
        var plan = WirePlanBuilder()
        plan.pause(micros)
        plan.end(.close)
        return plan.plan
    }
}
