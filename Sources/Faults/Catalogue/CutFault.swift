/// `cut:after=N`: in a stream, `N` content events, then the connection closes without the
/// terminator and without ending the chunked body. Without streaming, the body is cut mid-way:
/// the head announces the full length, half the body is sent, then the connection closes.
public struct CutFault: Fault {
    public static let kind = "cut"
    public static let keys = ["after"]

    /// Content events sent before the cut.
    public var after: Int

    public init(after: Int) {
        self.after = after
    }

    public init(parameters: inout FaultParameters) throws(FaultSpecError) {
        after = try parameters.count("after")
    }

    public var parameters: [(key: String, value: String)] { [(key: "after", value: String(after))] }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        BrokenResponse.plan(stream, after: after, in: context, end: .close)
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        BrokenResponse.plan(body, in: context, end: .close)
    }
}
