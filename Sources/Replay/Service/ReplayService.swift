import Cassettes
import Dialects
import Faults
import Foundation
import Logging
import SSE

/// Answers requests as the providers would, from a cassette, with faults applied: the responder
/// the wire server carries out, and the owner of the attempt ledger.
public final class ReplayService: ReplayResponder {
    /// Every attempt seen, readable in process and at `GET /_tapedeck/attempts`.
    public let ledger = AttemptLedger()
    private let state: ReplayState
    private let plans = PlannedResponses()
    private let logger: Logger

    public init(library: RecordingLibrary, faults: FaultBook, pacing: Pacing, logger: Logger = Logger(label: "tapedeck.replay")) {
        self.state = ReplayState(matcher: RecordingMatcher(library: library), book: faults, pacing: pacing)
        self.logger = logger
    }

    /// Replaces the fault book (schedules start over) and forgets served counts: a fresh upstream.
    public func reconfigure(faults: FaultBook) async {
        await state.reconfigure(book: faults)
    }

    /// Clears the ledger and restarts schedules and recorded order, as `DELETE /_tapedeck/attempts` does.
    public func resetAttempts() async {
        await ledger.clear()
        await state.restart()
    }

    public func respond(to request: ReplayRequest) async -> WirePlan {
        if request.route.hasPrefix(AdminRoutes.prefix) {
            return await AdminRoutes.respond(to: request, service: self)
        }
        guard request.method == "POST", let dialect = Dialect.detect(path: String(request.route)) else {
            return PlainResponses.json(status: 404, [
                "error": ["message": "tapedeck replay: no provider endpoint at \(request.method) \(request.route)", "type": "not_found"],
            ])
        }
        let header: FaultHeader?
        do {
            header = try request.header(FaultHeader.name).map { try FaultHeader(parsing: $0) }
        } catch {
            let response = dialect.codec.errorResponse(
                kind: .badRequest, message: "tapedeck: \(FaultHeader.name) header: \(error)", retryAfter: nil)
            return PlainResponses.error(response)
        }
        // A body that is not JSON would otherwise surface as a confusing miss ("model none").
        if !request.body.isEmpty {
            do {
                _ = try JSONValue.parse(request.body)
            } catch {
                let response = dialect.codec.errorResponse(
                    kind: .badRequest, message: "tapedeck: the request body is not valid JSON (\(error))", retryAfter: nil)
                return PlainResponses.error(response)
            }
        }
        let incoming = IncomingRequest(dialect: dialect, target: request.path, body: request.body)
        let decision = await state.decide(incoming, header: header)
        if decision.match.kind == .miss {
            logger.warning("replay miss", metadata: ["explanation": "\(decision.match.explanation ?? "")"])
        }
        let planned = PlannedResponse(decision.attempt.plan, codec: dialect.codec)
        let errorKind = planned.errorKind
        await plans.keep(planned, for: request.id)
        await ledger.open(LedgerEntry(
            id: request.id, startMilliseconds: decision.startMilliseconds, endMilliseconds: nil,
            endpoint: String(request.route), dialect: dialect, model: incoming.view.model, stream: incoming.view.stream,
            match: decision.match.kind, interaction: decision.match.recording?.id, explanation: decision.match.explanation,
            continuation: decision.match.continuation ?? ContinuationHeuristic.detect(incoming.view.turns),
            fault: decision.faultLabel, status: decision.attempt.plan.headStatus, ending: nil, errorKind: errorKind,
            reportedModel: errorKind == nil ? decision.match.recording?.outcome.model : nil,
            framesSent: 0, bytesSent: 0))
        return decision.attempt.plan
    }

    public func wireDidEnd(_ report: WireReport, for request: ReplayRequest) async {
        let planned = await plans.take(request.id)
        await ledger.update(request.id) { entry in
            entry.endMilliseconds = entry.startMilliseconds + report.endedAfter.milliseconds
            entry.framesSent = report.writesCompleted
            entry.bytesSent = report.bodyBytesWritten
            entry.status = report.status ?? entry.status
            entry.ending = LedgerEnding.from(
                report, status: report.status, planned: planned ?? PlannedResponse(errorKind: entry.errorKind, terminated: true))
        }
    }

}

/// What each request's plan will tell its client, kept until its wire report arrives.
actor PlannedResponses {
    private var byRequest: [Int: PlannedResponse] = [:]

    func keep(_ planned: PlannedResponse, for id: Int) { byRequest[id] = planned }

    func take(_ id: Int) -> PlannedResponse? { byRequest.removeValue(forKey: id) }
}

/// The mutable part of replay: recorded order, fault schedules, the clock they run on.
actor ReplayState {
    private var matcher: RecordingMatcher
    private var book: FaultBook
    private let pacing: Pacing
    private var start = ContinuousClock.now

    init(matcher: RecordingMatcher, book: FaultBook, pacing: Pacing) {
        self.matcher = matcher
        self.book = book
        self.pacing = pacing
    }

    struct Decision: Sendable {
        var match: Match
        var attempt: AttemptPlan
        var startMilliseconds: Double
        var faultLabel: String? {
            attempt.refusedBy != nil || !(attempt.decision.fault is NoFault) ? attempt.faultLabel : nil
        }
    }

    func decide(_ request: IncomingRequest, header: FaultHeader?) -> Decision {
        let elapsed = ContinuousClock.now - start
        let match = matcher.match(request)
        let response = AnswerBuilder.answer(for: request, match: match)
        let attempt = book.plan(
            request: request.view, response: response,
            context: FaultContext(codec: request.dialect.codec, pacing: pacing), at: elapsed, header: header)
        return Decision(match: match, attempt: attempt, startMilliseconds: elapsed.milliseconds)
    }

    func reconfigure(book: FaultBook) {
        self.book = book
        restart()
    }

    func restart() {
        book.reset()
        matcher.reset()
        start = ContinuousClock.now
    }
}

extension Duration {
    /// Fractional milliseconds, for ledger and report timings; shared with the analyzer.
    package var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
