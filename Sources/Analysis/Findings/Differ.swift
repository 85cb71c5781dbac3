import Dialects

/// Compares what a streaming client and a non-streaming client got for the same request under the
/// same upstream failure, and names every divergence.
///
/// Specific checks run first; the generic ones (`content_mismatch`, `error_class_mismatch`) only
/// report what no specific finding already explains, so one bug yields one finding, not five.
public enum Differ {
    public static func compare(stream: ModeRun, nonStream: ModeRun, context: ScenarioContext = ScenarioContext()) -> [Finding] {
        let pair = RunPair(stream: stream, nonStream: nonStream, context: context)
        if let hangs = HangCheck.findings(pair), !hangs.isEmpty { return hangs }
        var findings: [Finding] = []
        for check in specificChecks { findings += check(pair) }
        let explained = Set(findings.map(\.code))
        for check in genericChecks { findings += check(pair, explained) }
        return findings
    }

    /// A single run (one mode only): the checks that need no twin.
    public static func check(_ run: ModeRun, context: ScenarioContext = ScenarioContext()) -> [Finding] {
        let pair = RunPair(stream: run, nonStream: run, context: context)
        if run.hung { return HangCheck.findings(pair) ?? [] }
        return SingleRunChecks.all(run, context: context)
    }

    private static let specificChecks: [@Sendable (RunPair) -> [Finding]] = [
        FallbackChecks.disableFallbacksIgnored,
        FallbackChecks.skippedInStream,
        FallbackChecks.targetsDiffer,
        FallbackChecks.retriesDiffer,
        { SingleRunChecks.all($0.stream, context: $0.context, twin: $0.nonStream) },
        { SingleRunChecks.all($0.nonStream, context: $0.context, twin: $0.stream, includeContinuations: false) },
        OutcomeChecks.modelAttribution,
    ]

    private static let genericChecks: [@Sendable (RunPair, Set<FindingCode>) -> [Finding]] = [
        OutcomeChecks.content,
        OutcomeChecks.finishReason,
        OutcomeChecks.usage,
        OutcomeChecks.errorClass,
    ]
}

/// The two runs of one scenario and its context.
struct RunPair: Sendable {
    var stream: ModeRun
    var nonStream: ModeRun
    var context: ScenarioContext

    var both: [ModeRun] { [stream, nonStream] }

    /// True when the stream client already had content when its upstream failed, so the stream
    /// went on with a continuation: its text is the partial answer plus the fallback's
    /// continuation and its usage counts both attempts. Neither can equal the non-stream answer,
    /// so only the continuation itself is judged (duplication, prefill, empty content).
    var streamContinued: Bool { stream.attempts.contains { $0.continuation != nil && $0.ending == .complete } }
}

enum HangCheck {
    static func findings(_ pair: RunPair) -> [Finding]? {
        let hung = pair.both.filter(\.hung)
        guard !hung.isEmpty else { return nil }
        return hung.map { run in
            Finding(
                code: .hang,
                message: "The \(run.mode.rawValue) client got no complete response within \(run.elapsedMilliseconds) ms.",
                evidence: ["mode": run.mode.rawValue, "attempts": Evidence.attempts(run), "text_so_far": Evidence.clip(run.outcome.text)])
        }
    }
}

enum FallbackChecks {
    static func disableFallbacksIgnored(_ pair: RunPair) -> [Finding] {
        guard pair.context.disableFallbacks else { return [] }
        return pair.both.filter(\.failedOver).map { run in
            Finding(
                code: .disableFallbacksIgnored,
                message: "With disable_fallbacks the \(run.mode.rawValue) request still went to \(run.modelsTried.dropFirst().joined(separator: ", ")).",
                evidence: ["mode": run.mode.rawValue, "models_tried": run.modelsTried.joined(separator: " → ")])
        }
    }

    static func skippedInStream(_ pair: RunPair) -> [Finding] {
        guard !pair.context.disableFallbacks, pair.nonStream.failedOver, !pair.stream.failedOver else { return [] }
        return [Finding(
            code: .fallbackSkippedInStream,
            message: "Non-stream failed over \(pair.nonStream.modelsTried.joined(separator: " → ")); stream stayed on \(pair.stream.modelsTried.first ?? "nothing") and ended \(Evidence.describe(pair.stream.outcome)).",
            evidence: Evidence.modes(pair, "models_tried") { $0.modelsTried.joined(separator: " → ") }
                .merging(Evidence.modes(pair, "outcome") { Evidence.describe($0.outcome) }) { a, _ in a })]
    }

    static func targetsDiffer(_ pair: RunPair) -> [Finding] {
        // Non-stream failing over alone is `fallback_skipped_in_stream`; the stream failing over
        // where non-stream stayed (and retried) is a divergence of targets too.
        // A fault that only exists in streams (a missing terminator) leaves non-stream untouched:
        // nothing to compare unless non-stream saw a failure too.
        let nonStreamFailed = pair.nonStream.attempts.contains { $0.ending != .complete }
        guard !pair.context.disableFallbacks, pair.stream.failedOver, pair.nonStream.failedOver || nonStreamFailed,
            pair.stream.modelsTried != pair.nonStream.modelsTried
        else { return [] }
        return [Finding(
            code: .fallbackTargetsDiffer,
            message: "Stream tried \(pair.stream.modelsTried.joined(separator: " → ")), non-stream \(pair.nonStream.modelsTried.joined(separator: " → ")).",
            evidence: Evidence.modes(pair, "models_tried") { $0.modelsTried.joined(separator: " → ") })]
    }

    static func retriesDiffer(_ pair: RunPair) -> [Finding] {
        guard pair.stream.modelsTried == pair.nonStream.modelsTried,
            pair.stream.attemptsPerModel != pair.nonStream.attemptsPerModel
        else { return [] }
        let model = pair.stream.modelsTried.first { pair.stream.attemptsPerModel[$0] != pair.nonStream.attemptsPerModel[$0] } ?? ""
        return [Finding(
            code: .retriesDiffer,
            message: "\(model) got \(pair.stream.attemptsPerModel[model] ?? 0) attempts in stream mode, \(pair.nonStream.attemptsPerModel[model] ?? 0) in non-stream mode.",
            evidence: Evidence.modes(pair, "attempts") { Evidence.attempts($0) })]
    }
}

/// Checks that judge one run on its own (a twin, when given, sharpens some of them).
enum SingleRunChecks {
    static func all(_ run: ModeRun, context: ScenarioContext, twin: ModeRun? = nil, includeContinuations: Bool = true) -> [Finding] {
        var findings: [Finding] = []
        findings += unterminated(run)
        findings += truncated(run, twin: twin)
        findings += duplicated(run, twin: twin)
        if includeContinuations {
            // Continuation attempts of both modes are judged once, from the stream side of the pair.
            findings += continuations(run.attempts + (twin.map { $0.mode == run.mode ? [] : $0.attempts } ?? []))
        }
        return findings
    }

    static func unterminated(_ run: ModeRun) -> [Finding] {
        guard run.mode == .stream, !run.outcome.terminated, run.outcome.error == nil else { return [] }
        return [Finding(
            code: .unterminatedStream,
            message: "The client's stream stopped after \(run.outcome.text.count) characters with neither its terminator nor an error.",
            evidence: ["mode": run.mode.rawValue, "attempts": Evidence.attempts(run), "text": Evidence.clip(run.outcome.text)])]
    }

    static func truncated(_ run: ModeRun, twin: ModeRun?) -> [Finding] {
        guard run.outcome.isSuccess else { return [] }
        let last = run.attempts.last
        // An upstream that broke off only matters when the client's text shows it: a stream whose
        // content all arrived but whose terminator did not is complete to its reader.
        let sameAsTwin = twin.map { $0.mode != run.mode && $0.outcome.isSuccess && $0.outcome.text == run.outcome.text } ?? false
        let upstreamBroke = !sameAsTwin && (last.map { $0.ending != .complete } ?? false)
        var shorterThanTwin = false
        let twinContinued = twin?.attempts.contains { $0.continuation != nil && $0.ending == .complete } ?? false
        if let twin, twin.mode != run.mode, twin.outcome.isSuccess, !twinContinued, !run.outcome.text.isEmpty,
            run.outcome.text.count < twin.outcome.text.count, twin.outcome.text.hasPrefix(run.outcome.text)
        {
            shorterThanTwin = true
        }
        guard upstreamBroke || shorterThanTwin else { return [] }
        var evidence = ["mode": run.mode.rawValue, "attempts": Evidence.attempts(run), "text": Evidence.clip(run.outcome.text)]
        if let twin { evidence["\(twin.mode.rawValue)_text"] = Evidence.clip(twin.outcome.text) }
        let why = upstreamBroke
            ? "although its last upstream attempt ended \(last!.ending.rawValue)"
            : "but its text is a strict prefix of the \(twin!.mode.rawValue) answer"
        return [Finding(
            code: .truncatedSuccess,
            message: "The \(run.mode.rawValue) client got a clean success of \(run.outcome.text.count) characters \(why).",
            evidence: evidence)]
    }

    static func duplicated(_ run: ModeRun, twin: ModeRun?) -> [Finding] {
        let text = run.outcome.text
        var repeated: String?
        if let twin, twin.mode != run.mode, twin.outcome.isSuccess, !twin.outcome.text.isEmpty,
            text.count > twin.outcome.text.count, text.hasSuffix(twin.outcome.text)
        {
            let extra = String(text.dropLast(twin.outcome.text.count))
            if twin.outcome.text.hasPrefix(extra) { repeated = extra }
        }
        if repeated == nil { repeated = Evidence.repeatedOpening(text) }
        guard let repeated else { return [] }
        return [Finding(
            code: .duplicatedContent,
            message: "The \(run.mode.rawValue) client received \(repeated.count) characters twice: \"\(Evidence.clip(repeated, 60))\".",
            evidence: ["mode": run.mode.rawValue, "repeated": Evidence.clip(repeated), "text": Evidence.clip(text), "attempts": Evidence.attempts(run)])]
    }

    static func continuations(_ attempts: [UpstreamAttempt]) -> [Finding] {
        var findings: [Finding] = []
        for attempt in attempts {
            guard let continuation = attempt.continuation else { continue }
            if continuation.style == ContinuationStyle.prefill.rawValue,
                attempt.errorKind == .prefillRejected
            {
                findings.append(Finding(
                    code: .continuationPrefillRejected,
                    message: "A \(attempt.stream ? "stream" : "non-stream") continuation with an assistant prefill went to \(attempt.model), which rejected it with \(attempt.status.map(String.init) ?? "an error").",
                    evidence: ["model": attempt.model, "prefill": Evidence.clip(continuation.text), "status": attempt.status.map(String.init) ?? ""]))
            }
            if continuation.text.isEmpty {
                findings.append(Finding(
                    code: .emptyContinuation,
                    message: "A \(continuation.style) continuation with empty content was sent to \(attempt.model).",
                    evidence: ["model": attempt.model, "style": continuation.style]))
            }
        }
        return findings
    }
}

enum OutcomeChecks {
    static func modelAttribution(_ pair: RunPair) -> [Finding] {
        var findings: [Finding] = []
        // Different deployments answering is judged by the fallback checks; only the same answering
        // deployment must be reported the same way in both modes.
        // A dialect that names the model once, before any content (Anthropic's message_start),
        // cannot name the fallback after content from the primary already went out.
        let unannounceable = pair.streamContinued && !pair.stream.outcome.dialect.namesModelAfterContent
        if pair.stream.outcome.isSuccess, pair.nonStream.outcome.isSuccess, !unannounceable,
            pair.stream.modelsTried.last == pair.nonStream.modelsTried.last,
            pair.stream.outcome.model != pair.nonStream.outcome.model
        {
            findings.append(Finding(
                code: .modelAttributionMismatch,
                message: "Stream reports model \(pair.stream.outcome.model ?? "none"), non-stream \(pair.nonStream.outcome.model ?? "none").",
                evidence: Evidence.modes(pair, "model") { $0.outcome.model ?? "" }))
            return findings
        }
        for run in pair.both where run.outcome.isSuccess && !(run.mode == .stream && unannounceable) {
            guard let answered = run.attempts.last(where: { $0.ending == .complete }),
                let reported = run.outcome.model,
                !Evidence.sameModel(reported, answered.reportedModel ?? answered.model),
                !Evidence.sameModel(reported, answered.model)
            else { continue }
            // Reporting the requested group is a gateway convention, and true while the primary
            // (the first model tried) is the one that answered.
            if reported == pair.context.requestedModel, answered.model == run.attempts.first?.model { continue }
            findings.append(Finding(
                code: .modelAttributionMismatch,
                message: "The \(run.mode.rawValue) client was told \(reported) answered, but \(answered.model) did.",
                evidence: ["mode": run.mode.rawValue, "reported": reported, "answered": answered.model]))
        }
        return findings
    }

    static func content(_ pair: RunPair, explained: Set<FindingCode>) -> [Finding] {
        guard explained.isDisjoint(with: [.duplicatedContent, .truncatedSuccess]), !pair.streamContinued,
            pair.stream.outcome.isSuccess, pair.nonStream.outcome.isSuccess
        else { return [] }
        let s = pair.stream.outcome
        let n = pair.nonStream.outcome
        if s.text != n.text {
            let index = Evidence.firstDifference(s.text, n.text)
            return [Finding(
                code: .contentMismatch,
                message: "The texts differ from character \(index) on.",
                evidence: ["first_difference": String(index), "stream_text": Evidence.clip(s.text), "non_stream_text": Evidence.clip(n.text)])]
        }
        if s.toolCalls.map({ [$0.name, $0.arguments] }) != n.toolCalls.map({ [$0.name, $0.arguments] }) {
            return [Finding(
                code: .contentMismatch,
                message: "The tool calls differ.",
                evidence: Evidence.modes(pair, "tool_calls") { $0.outcome.toolCalls.map { "\($0.name)(\($0.arguments))" }.joined(separator: "; ") })]
        }
        return []
    }

    static func finishReason(_ pair: RunPair, explained: Set<FindingCode>) -> [Finding] {
        guard pair.stream.outcome.isSuccess, pair.nonStream.outcome.isSuccess,
            pair.stream.outcome.finishReason != pair.nonStream.outcome.finishReason
        else { return [] }
        return [Finding(
            code: .finishReasonMismatch,
            message: "Stream finished with \(pair.stream.outcome.finishReason?.rawValue ?? "none"), non-stream with \(pair.nonStream.outcome.finishReason?.rawValue ?? "none").",
            evidence: Evidence.modes(pair, "finish_reason") { $0.outcome.finishReason?.rawValue ?? "" })]
    }

    static func usage(_ pair: RunPair, explained: Set<FindingCode>) -> [Finding] {
        guard !pair.streamContinued, pair.stream.outcome.isSuccess, pair.nonStream.outcome.isSuccess,
            pair.stream.outcome.usage != pair.nonStream.outcome.usage
        else { return [] }
        return [Finding(
            code: .usageMismatch,
            message: "Stream reports \(Evidence.usage(pair.stream.outcome.usage)), non-stream \(Evidence.usage(pair.nonStream.outcome.usage)).",
            evidence: Evidence.modes(pair, "usage") { Evidence.usage($0.outcome.usage) })]
    }

    static func errorClass(_ pair: RunPair, explained: Set<FindingCode>) -> [Finding] {
        let causes: Set<FindingCode> = [.fallbackSkippedInStream, .continuationPrefillRejected, .unterminatedStream,
                                        .truncatedSuccess, .disableFallbacksIgnored, .fallbackTargetsDiffer]
        guard explained.isDisjoint(with: causes) else { return [] }
        let s = pair.stream.outcome
        let n = pair.nonStream.outcome
        guard s.isSuccess != n.isSuccess || (s.error != nil && n.error != nil && s.error?.kind != n.error?.kind) else {
            return []
        }
        return [Finding(
            code: .errorClassMismatch,
            message: "Stream ended \(Evidence.describe(s)); non-stream ended \(Evidence.describe(n)).",
            evidence: Evidence.modes(pair, "outcome") { Evidence.describe($0.outcome) })]
    }
}
