import Dialects
import Testing

@testable import Analysis

/// Builders for runs: a sound fallback from `primary` (cut mid-stream) to `fallback`.
private enum Runs {
    static let answer = "Paris is the capital of France, and its largest city by far."
    static let usage = Usage(inputTokens: 30, outputTokens: 24)

    static func outcome(_ text: String = answer, model: String? = "fallback", usage: Usage? = usage,
                        finish: FinishReason? = .stop, error: OutcomeError? = nil, terminated: Bool = true) -> Outcome {
        Outcome(dialect: .openAIChat, model: model, text: text, finishReason: finish, usage: usage, error: error, terminated: terminated)
    }

    static func failed(_ model: String = "primary", stream: Bool, fault: String = "cut:after=3") -> UpstreamAttempt {
        UpstreamAttempt(model: model, stream: stream, fault: fault, ending: stream ? .truncated : .httpError, status: stream ? 200 : 429, framesSent: 3)
    }

    static func answered(_ model: String = "fallback", stream: Bool, continuation: ContinuationRecord? = nil) -> UpstreamAttempt {
        UpstreamAttempt(model: model, stream: stream, ending: .complete, status: 200, continuation: continuation, reportedModel: model, framesSent: 12)
    }

    static func soundStream() -> ModeRun {
        ModeRun(mode: .stream, outcome: outcome(), attempts: [failed(stream: true), answered(stream: true, continuation: ContinuationRecord(style: "user_message", text: "Paris is"))])
    }

    static func soundNonStream() -> ModeRun {
        ModeRun(mode: .nonStream, outcome: outcome(), attempts: [failed(stream: false), answered(stream: false)])
    }
}

@Suite("Differ")
struct DifferTests {
    @Test("a sound router's two runs produce no finding")
    func soundPairIsClean() {
        #expect(Differ.compare(stream: Runs.soundStream(), nonStream: Runs.soundNonStream()).isEmpty)
    }

    /// One mutation of the sound pair per finding code, and the code it must produce.
    struct Mutation: Sendable, CustomStringConvertible {
        var code: FindingCode
        var context = ScenarioContext()
        var mutate: @Sendable (inout ModeRun, inout ModeRun) -> Void
        var description: String { code.rawValue }
    }

    static let mutations: [Mutation] = [
        Mutation(code: .fallbackSkippedInStream) { s, _ in
            s.attempts = [Runs.failed(stream: true)]
            s.outcome = Runs.outcome(error: OutcomeError(kind: .rateLimit, status: nil, message: "429"), terminated: false)
        },
        Mutation(code: .fallbackTargetsDiffer) { s, _ in
            s.attempts = [Runs.failed(stream: true), Runs.answered("other", stream: true)]
            s.outcome.model = "other"
        },
        Mutation(code: .retriesDiffer) { _, n in
            n.attempts.insert(Runs.failed(stream: false), at: 0)
        },
        Mutation(code: .truncatedSuccess) { s, _ in
            s.attempts[1].ending = .truncated
            s.outcome.text = "Paris is the capital"
        },
        Mutation(code: .unterminatedStream) { s, _ in
            s.outcome.terminated = false
        },
        Mutation(code: .duplicatedContent) { s, _ in
            s.outcome.text = "Paris is the capital " + Runs.answer
        },
        Mutation(code: .continuationPrefillRejected) { s, _ in
            s.attempts[1].continuation = ContinuationRecord(style: "prefill", text: "Paris is")
            s.attempts[1].ending = .httpError
            s.attempts[1].status = 400
            s.attempts[1].errorKind = .prefillRejected
            s.outcome = Runs.outcome(error: OutcomeError(kind: .prefillRejected, status: 400, message: "no prefill"), terminated: false)
        },
        Mutation(code: .emptyContinuation) { s, _ in
            s.attempts[1].continuation = ContinuationRecord(style: "user_message", text: "")
        },
        Mutation(code: .contentMismatch) { s, _ in
            s.attempts[1].continuation = nil
            s.outcome.text = "Paris is the capital of France and home to the Louvre."
        },
        Mutation(code: .modelAttributionMismatch) { s, _ in
            s.outcome.model = "primary"
        },
        Mutation(code: .usageMismatch) { s, _ in
            s.attempts[1].continuation = nil
            s.outcome.usage = Usage(inputTokens: 15, outputTokens: 12)
        },
        Mutation(code: .finishReasonMismatch) { s, _ in
            s.outcome.finishReason = .length
        },
        Mutation(code: .errorClassMismatch) { s, n in
            s.outcome = Runs.outcome(error: OutcomeError(kind: .overloaded, status: 529, message: "Overloaded"), terminated: false)
            n.outcome = Runs.outcome(error: OutcomeError(kind: .rateLimit, status: 429, message: "429"), terminated: false)
        },
        Mutation(code: .disableFallbacksIgnored, context: ScenarioContext(disableFallbacks: true)) { s, n in
            n.attempts = [Runs.failed(stream: false)]
            n.outcome = Runs.outcome(error: OutcomeError(kind: .rateLimit, status: 429, message: "429"), terminated: false)
        },
        Mutation(code: .hang) { s, _ in
            s.hung = true
        },
    ]

    @Test("each divergence is flagged with exactly its code", arguments: mutations)
    func mutationIsFlagged(mutation: Mutation) {
        var stream = Runs.soundStream()
        var nonStream = Runs.soundNonStream()
        mutation.mutate(&stream, &nonStream)
        let findings = Differ.compare(stream: stream, nonStream: nonStream, context: mutation.context)
        #expect(findings.map(\.code) == [mutation.code], "\(findings.map(\.message))")
        #expect(findings.allSatisfy { !$0.message.isEmpty && $0.severity == $0.code.severity })
    }

    @Test("a stream that went on by continuation may differ in text and usage without a finding")
    func continuedStreamDiffers() {
        var stream = Runs.soundStream()
        stream.outcome.text = "Paris is" + " the capital of France, and its largest city by far."
        stream.outcome.usage = Usage(inputTokens: 60, outputTokens: 30)
        #expect(Differ.compare(stream: stream, nonStream: Runs.soundNonStream()).isEmpty)
    }

    @Test("an Anthropic stream that continued keeps the primary's model in message_start without a finding")
    func anthropicStreamModel() {
        var stream = Runs.soundStream()
        var nonStream = Runs.soundNonStream()
        stream.outcome.dialect = .anthropicMessages
        nonStream.outcome.dialect = .anthropicMessages
        stream.outcome.model = "primary"
        #expect(Differ.compare(stream: stream, nonStream: nonStream).isEmpty)
        stream.outcome.dialect = .openAIChat
        #expect(Differ.compare(stream: stream, nonStream: nonStream).map(\.code) == [.modelAttributionMismatch])
    }

    @Test("a stream that lost only its terminator, with the whole answer, is not a truncated success")
    func droppedTerminatorOnly() {
        var stream = Runs.soundStream()
        stream.attempts = [Runs.answered(stream: true)]
        stream.attempts[0].ending = .truncated
        var nonStream = Runs.soundNonStream()
        nonStream.attempts = [Runs.answered(stream: false)]
        #expect(Differ.compare(stream: stream, nonStream: nonStream).isEmpty)
        stream.outcome.text = "Paris is the capital"
        #expect(Differ.compare(stream: stream, nonStream: nonStream).map(\.code) == [.truncatedSuccess])
    }

    @Test("reporting the requested group is fine while the primary answered, misattribution after a fallback")
    func groupAlias() {
        let context = ScenarioContext(requestedModel: "chat")
        var stream = Runs.soundStream()
        var nonStream = Runs.soundNonStream()
        for index in stream.attempts.indices { stream.attempts[index].model = "primary" }
        stream.attempts = [Runs.answered("primary", stream: true)]
        nonStream.attempts = [Runs.answered("primary", stream: false)]
        stream.outcome.model = "chat"
        nonStream.outcome.model = "chat"
        #expect(Differ.compare(stream: stream, nonStream: nonStream, context: context).isEmpty)
        stream = Runs.soundStream()
        nonStream = Runs.soundNonStream()
        stream.outcome.model = "chat"
        nonStream.outcome.model = "chat"
        #expect(Differ.compare(stream: stream, nonStream: nonStream, context: context).map(\.code)
                == [.modelAttributionMismatch, .modelAttributionMismatch])
    }

    @Test("a stream that failed over where non-stream retried and recovered is a divergence of targets")
    func streamFailedOverAlone() {
        var nonStream = Runs.soundNonStream()
        nonStream.attempts = [Runs.failed(stream: false), Runs.answered("primary", stream: false)]
        nonStream.outcome.model = "primary"
        let codes = Differ.compare(stream: Runs.soundStream(), nonStream: nonStream).map(\.code)
        #expect(codes.first == .fallbackTargetsDiffer)
    }

    @Test("every finding code has a mutation that produces it")
    func everyCodeCovered() {
        #expect(Set(Self.mutations.map(\.code)) == Set(FindingCode.allCases))
    }

    @Test("a repeated opening is found; ordinary text is not")
    func repeatedOpening() {
        #expect(Evidence.repeatedOpening("The answer is The answer is 42 and more") == "The answer is ")
        #expect(Evidence.repeatedOpening(Runs.answer) == nil)
    }

    @Test("severities order info < warning < error")
    func severityOrder() {
        #expect(Severity.info < .warning && Severity.warning < .error)
    }
}
