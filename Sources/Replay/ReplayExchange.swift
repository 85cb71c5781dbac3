import Logging
import NIOHTTP1

/// A request read in full, with what the wire layer needs besides what the responder sees.
struct ReceivedRequest: Sendable {
    var request: ReplayRequest
    var version: HTTPVersion
    var keepAlive: Bool
    var receivedAt: ContinuousClock.Instant
}

/// One request answered end to end: ask the responder, carry the plan out, report back.
struct ReplayExchange: Sendable {
    let responder: any ReplayResponder
    let executor: WirePlanExecutor

    func run(_ received: ReceivedRequest, on connection: WireConnection) async {
        let plan = await responder.respond(to: received.request)
        let report = await executor.execute(plan, for: received, on: connection)
        await responder.wireDidEnd(report, for: received.request)
    }
}
