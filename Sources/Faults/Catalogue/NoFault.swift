/// `ok`: no fault; the faithful replay, same frames and same (scaled) gaps.
public struct NoFault: Fault {
    public static let kind = "ok"
    public static let keys: [String] = []

    public init() {}
    public init(parameters: inout FaultParameters) throws(FaultSpecError) {}

    public var parameters: [(key: String, value: String)] { [] }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        stream.faithfulPlan(context.pacing)
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        body.faithfulPlan(context.pacing)
    }
}
