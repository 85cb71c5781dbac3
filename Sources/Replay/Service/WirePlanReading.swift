import Dialects
import Faults
import SSE

/// Reads back what a wire plan will tell the client, for the ledger: the error the response
/// carries (HTTP error body, in-band error event, malformed data) as the client's SDK would see
/// it, and whether a stream carries its dialect's terminator.
struct PlannedResponse: Sendable {
    var errorKind: ErrorKind?
    /// False for an event stream without its terminator; true otherwise.
    var terminated: Bool

    init(errorKind: ErrorKind?, terminated: Bool) {
        self.errorKind = errorKind
        self.terminated = terminated
    }

    init(_ plan: WirePlan, codec: any DialectCodec) {
        let written = plan.steps.reduce(into: [UInt8]()) { bytes, step in
            if case .write(let chunk) = step { bytes += chunk }
        }
        let isEventStream = plan.headFields.contains { $0.name.lowercased() == "content-type" && $0.value.contains("text/event-stream") }
        if let status = plan.headStatus, status >= 400 {
            errorKind = codec.classify(status: status, body: written).kind
            terminated = true
        } else if isEventStream {
            let outcome = codec.outcome(fromFrames: SSEParser.parse(written))
            errorKind = outcome.error?.kind
            terminated = outcome.terminated
        } else if plan.headStatus != nil, plan.steps.last == .finish {
            // A body cut or reset on purpose is a transport failure, not a malformed answer.
            errorKind = codec.outcome(fromBody: written, status: plan.headStatus).error?.kind
            terminated = true
        } else {
            errorKind = nil
            terminated = true
        }
    }
}

extension WirePlan {
    /// The status the plan sends, nil when it sends no head.
    var headStatus: Int? {
        for step in steps { if case .head(let status, _) = step { return status } }
        return nil
    }

    /// The headers the plan sends, empty when it sends no head.
    var headFields: [HTTPField] {
        for step in steps { if case .head(_, let headers) = step { return headers } }
        return []
    }
}

/// The ledger's ending for what happened on the wire.
enum LedgerEnding {
    static func from(_ report: WireReport, status: Int?, planned: PlannedResponse) -> Ending {
        switch report.ending {
        case .finished:
            if let status, status >= 400 { return .httpError }
            if planned.errorKind != nil { return .inBandError }
            return planned.terminated ? .complete : .truncated
        case .closed: return status.map { $0 >= 400 } == true ? .httpError : .truncated
        case .reset: return .reset
        case .hung: return .timeout
        case .clientGone: return report.status == nil ? .timeout : .clientAborted
        case .serverStopped, .failed: return .clientAborted
        }
    }
}

/// A continuation guessed from a request's tail when no recording frames it: an assistant turn
/// last (prefill), or an assistant turn followed by an instruction to continue (user message).
enum ContinuationHeuristic {
    static func detect(_ turns: [ChatTurn]) -> DetectedContinuation? {
        guard let last = turns.last else { return nil }
        if last.role == "assistant" { return DetectedContinuation(style: .prefill, text: last.text) }
        if turns.count >= 2, turns[turns.count - 2].role == "assistant",
            last.text.lowercased().contains("continu")
        {
            return DetectedContinuation(style: .userMessage, text: turns[turns.count - 2].text)
        }
        return nil
    }
}
