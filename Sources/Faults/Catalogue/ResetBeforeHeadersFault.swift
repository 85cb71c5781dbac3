/// `reset_before_headers`: the connection is reset (TCP RST) before any byte of the response,
/// in both modes, as when an upstream process dies or a load balancer drops the connection.
public struct ResetBeforeHeadersFault: Fault {
    public static let kind = "reset_before_headers"
    public static let keys: [String] = []

    public init() {}
    public init(parameters: inout FaultParameters) throws(FaultSpecError) {}

    public var parameters: [(key: String, value: String)] { [] }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan { WirePlan(steps: [.reset]) }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan { WirePlan(steps: [.reset]) }
}
