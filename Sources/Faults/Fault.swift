import Dialects

/// One way an upstream can fail, applied to a clean response to get what goes on the wire.
///
/// A fault is a small immutable value holding its settings only: anything that changes from one
/// attempt to the next lives in `FaultSchedule`. Each conforming type handles both modes itself,
/// so what a fault does to a stream and to a plain body sits side by side in its own file.
/// `CREATING_FAULTS.md` writes the contract down.
public protocol Fault: Sendable, CustomStringConvertible {
    /// The name used in specs (`cut`, `http_error`, …); unique across `FaultCatalogue.kinds`.
    static var kind: String { get }
    /// The keys a spec of this kind may give, in canonical order.
    static var keys: [String] { get }

    /// Reads the settings from a parsed spec; unread keys are reported by the caller.
    init(parameters: inout FaultParameters) throws(FaultSpecError)

    /// The settings as `key=value` pairs in canonical order, for the canonical spec string.
    var parameters: [(key: String, value: String)] { get }

    /// What the server sends when this fault strikes a streamed response.
    func plan(stream: CleanStream, in context: FaultContext) -> WirePlan
    /// What the server sends when this fault strikes a non-stream response.
    func plan(body: CleanBody, in context: FaultContext) -> WirePlan
}

extension Fault {
    /// The canonical spec, e.g. `http_error:status=429,retry_after=2`; parsing it gives this fault back.
    public var description: String {
        let pairs = parameters
        if pairs.isEmpty { return Self.kind }
        return Self.kind + ":" + pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// The kind name of this fault's type.
    public var kind: String { Self.kind }

    /// What the server sends when this fault strikes a response, in the response's mode.
    public func plan(for response: CleanResponse, in context: FaultContext) -> WirePlan {
        switch response {
        case .stream(let stream): return plan(stream: stream, in: context)
        case .body(let body): return plan(body: body, in: context)
        }
    }

    /// True when both faults render to the same canonical spec.
    public func isSame(as other: any Fault) -> Bool { description == other.description }
}

/// What a fault needs besides the response: the dialect speaking and how fast to replay.
public struct FaultContext: Sendable {
    /// The codec of the dialect the client asked in: error bodies, in-band events, terminators.
    public var codec: any DialectCodec
    /// How recorded gaps become pauses.
    public var pacing: Pacing

    public init(codec: any DialectCodec, pacing: Pacing) {
        self.codec = codec
        self.pacing = pacing
    }
}
