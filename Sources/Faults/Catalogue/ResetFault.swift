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
        BrokenResponse.plan(stream, after: after, in: context, end: .reset)
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        BrokenResponse.plan(body, in: context, end: .reset)
    }
}
