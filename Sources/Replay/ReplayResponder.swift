import Faults

/// The layer above the wire: decides how each request is answered and learns how it went.
///
/// The server calls `respond(to:)` once per complete request, carries the returned plan out at
/// the wire, then calls `wireDidEnd(_:for:)` exactly once with what actually happened. Both calls
/// happen for every request the server reads in full, even when the client has already gone.
public protocol ReplayResponder: Sendable {
    /// The wire plan that answers this request.
    func respond(to request: ReplayRequest) async -> WirePlan

    /// Receives the account of how the plan for `request` was carried out, once it has ended.
    ///
    /// For a `hang` this arrives only when the client or the server closes the connection.
    func wireDidEnd(_ report: WireReport, for request: ReplayRequest) async
}

extension ReplayResponder {
    /// Responders that keep no ledger can ignore reports.
    public func wireDidEnd(_ report: WireReport, for request: ReplayRequest) async {}
}
