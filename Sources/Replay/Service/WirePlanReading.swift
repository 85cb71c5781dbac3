import Dialects
import Faults
import SSE

/// Reads back what a wire plan will tell the client, for the ledger: the status, and the error
/// the response carries (HTTP error body or in-band error event) as the client's SDK would see it.
enum WirePlanReading {
    static func errorKind(of plan: WirePlan, codec: any DialectCodec) -> ErrorKind? {
        let written = plan.steps.reduce(into: [UInt8]()) { bytes, step in
            if case .write(let chunk) = step { bytes += chunk }
        }
        if let status = plan.headStatus, status >= 400 {
            return codec.classify(status: status, body: written).kind
        }
        for frame in SSEParser.parse(written) {
            if let event = frame.event, let error = codec.classify(inBand: event) { return error.kind }
        }
        return nil
    }
}

extension WirePlan {
    /// The status the plan sends, nil when it sends no head.
    var headStatus: Int? {
        for step in steps { if case .head(let status, _) = step { return status } }
        return nil
    }
}

/// The ledger's ending for what happened on the wire.
enum LedgerEnding {
    static func from(_ report: WireReport, status: Int?, errorKind: ErrorKind?) -> Ending {
        switch report.ending {
        case .finished:
            if let status, status >= 400 { return .httpError }
            return errorKind == nil ? .complete : .inBandError
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
