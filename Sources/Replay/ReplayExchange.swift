import HTTPServerSupport
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
        guard #available(macOS 15.0, *) else {
            let plan = await responder.respond(to: received.request)
            let report = await executor.execute(plan, for: received, on: connection)
            await responder.wireDidEnd(report, for: received.request)
            return
        }
        // The responder may block (a database read, say), so it never runs on an event loop;
        // the plan runs on the connection's own loop, which it mostly talks to.
        let plan = await withTaskExecutorPreference(globalConcurrentExecutor) {
            await responder.respond(to: received.request)
        }
        let report = await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: connection.channel.eventLoop)) {
            await executor.execute(plan, for: received, on: connection)
        }
        await withTaskExecutorPreference(globalConcurrentExecutor) {
            await responder.wireDidEnd(report, for: received.request)
        }
    }
}
