import Dialects
import Faults
import Testing

@Suite("Fault book")
struct FaultBookTests {
    private func book(fixed: [String] = []) throws -> FaultBook {
        FaultBook(
            seed: 3,
            rules: [
                "primary": .perAttempt([try FaultCatalogue.parse("cut:after=40"), NoFault()]),
                "random": .probability(0.5, try FaultCatalogue.parse("reset:after=1")),
            ],
            fixed: try fixed.map { try ScopedFault(parsing: $0) })
    }

    @Test("each model follows its own schedule and counts its own attempts")
    func perModelState() throws {
        var book = try book()
        #expect(book.decide(model: "primary", at: .zero).fault.description == "cut:after=40")
        #expect(book.decide(model: "other", at: .zero).fault.description == "ok")
        let second = book.decide(model: "primary", at: .zero)
        #expect(second.fault.description == "ok")
        #expect(second.attempt == 2)
        #expect(second.source == .schedule)
        #expect(book.attempts(of: "other") == 1)
        #expect(book.decide(model: "other", at: .zero).source == .none)
    }

    @Test("the request header wins over flags and schedules, and the schedule still advances")
    func headerWins() throws {
        var book = try book(fixed: ["primary=slow_drip:ms=5"])
        let header = try FaultHeader(parsing: "primary=reset_before_headers")
        let first = book.decide(model: "primary", at: .zero, header: header)
        #expect(first.fault.description == "reset_before_headers")
        #expect(first.source == .header)
        // Attempt 1 of the schedule was consumed by the header's attempt.
        let second = book.decide(model: "primary", at: .zero)
        #expect(second.attempt == 2)
        #expect(second.fault.description == "slow_drip:ms=5")
        #expect(second.source == .flag)
    }

    @Test("a flag naming the model wins over an unscoped flag")
    func scopedFlagWins() throws {
        var book = try book(fixed: ["cut:after=1", "primary=ok"])
        #expect(book.decide(model: "primary", at: .zero).fault.description == "ok")
        #expect(book.decide(model: "random", at: .zero).fault.description == "cut:after=1")
    }

    @Test("a model's random draws do not depend on other models' attempts")
    func independentDraws() throws {
        var alone = try book()
        var mixed = try book()
        var aloneSequence: [String] = []
        var mixedSequence: [String] = []
        for _ in 0..<40 {
            aloneSequence.append(alone.decide(model: "random", at: .zero).fault.description)
            _ = mixed.decide(model: "primary", at: .zero)
            mixedSequence.append(mixed.decide(model: "random", at: .zero).fault.description)
            _ = mixed.decide(model: "other", at: .zero)
        }
        #expect(aloneSequence == mixedSequence)
        #expect(Set(aloneSequence) == ["ok", "reset:after=1"])
    }

    @Test("reset starts every schedule over")
    func resetBook() throws {
        var book = try book()
        _ = book.decide(model: "primary", at: .zero)
        book.reset()
        #expect(book.attempts(of: "primary") == 0)
        #expect(book.decide(model: "primary", at: .zero).fault.description == "cut:after=40")
    }
}

@Suite("Capabilities")
struct CapabilitiesTests {
    private func request(lastRole: String) -> RequestView {
        RequestView(dialect: .anthropicMessages, endpoint: "/v1/messages", model: "claude-sonnet-4-6", stream: true,
                    turns: [ChatTurn(role: "user", text: "Hi"), ChatTurn(role: lastRole, text: "Hello, I")])
    }

    @Test("rejects_prefill answers an assistant prefill with the dialect's 400 prefill rejection")
    func rejectsPrefill() throws {
        let capabilities = ModelCapabilities([.rejectsPrefill])
        let plan = try #require(capabilities.refusal(of: request(lastRole: "assistant"), codec: FakeCodec()))
        #expect(plan.steps == Sample.errorSteps(status: 400, kind: .prefillRejected))
    }

    @Test("requests ending with a user turn, and models without the capability, are served")
    func acceptsOthers() {
        #expect(ModelCapabilities([.rejectsPrefill]).refusal(of: request(lastRole: "user"), codec: FakeCodec()) == nil)
        #expect(ModelCapabilities().refusal(of: request(lastRole: "assistant"), codec: FakeCodec()) == nil)
    }

    @Test("--capability MODEL=NAME assignments are read, and errors say what is expected")
    func assignments() throws {
        let parsed = try ModelCapability.parseAssignment("claude-sonnet-4-6=rejects_prefill")
        #expect(parsed.model == "claude-sonnet-4-6" && parsed.capability == .rejectsPrefill)
        #expect(throws: FaultSpecError.invalidCapability(
            text: "claude", reason: "write MODEL=capability, e.g. claude-sonnet-4-6=rejects_prefill")) {
            try ModelCapability.parseAssignment("claude")
        }
        #expect(throws: FaultSpecError.invalidCapability(text: "=rejects_prefill", reason: "the model before '=' is empty")) {
            try ModelCapability.parseAssignment("=rejects_prefill")
        }
        let unknown = FaultSpecError.invalidCapability(text: "m=flies", reason: "unknown capability 'flies'; known: rejects_prefill")
        #expect(throws: unknown) { try ModelCapability.parseAssignment("m=flies") }
        #expect(unknown.description == "capability 'm=flies': unknown capability 'flies'; known: rejects_prefill")
    }
}

@Suite("Attempt plans")
struct AttemptPlanTests {
    private func request(model: String, lastRole: String) -> RequestView {
        RequestView(dialect: .anthropicMessages, endpoint: "/v1/messages", model: model, stream: true,
                    turns: [ChatTurn(role: "user", text: "Hi"), ChatTurn(role: lastRole, text: "Hello")])
    }

    @Test("a refused prefill wins over the fault, and the schedule still counts the attempt")
    func refusalFirst() throws {
        var book = FaultBook(
            rules: ["claude": .perAttempt([try FaultCatalogue.parse("cut:after=1"), NoFault()])],
            capabilities: ["claude": ModelCapabilities([.rejectsPrefill])])
        let refused = book.plan(request: request(model: "claude", lastRole: "assistant"), response: Sample.stream,
                                context: Sample.context, at: .zero)
        #expect(refused.refusedBy == .rejectsPrefill)
        #expect(refused.faultLabel == "rejects_prefill")
        #expect(refused.plan.steps == Sample.errorSteps(status: 400, kind: .prefillRejected))
        let served = book.plan(request: request(model: "claude", lastRole: "user"), response: Sample.stream,
                               context: Sample.context, at: .zero)
        #expect(served.refusedBy == nil)
        #expect(served.decision.attempt == 2)
        #expect(served.faultLabel == "ok")
        #expect(served.plan == NoFault().plan(for: Sample.stream, in: Sample.context))
    }

    @Test("the decided fault is applied to the clean response")
    func faultApplied() throws {
        var book = FaultBook(rules: ["gpt": .always(try FaultCatalogue.parse("cut:after=1"))])
        let attempt = book.plan(request: request(model: "gpt", lastRole: "user"), response: Sample.stream,
                                context: Sample.context, at: .zero)
        #expect(attempt.faultLabel == "cut:after=1")
        #expect(attempt.plan.steps == [Sample.streamHead, Sample.pause(1_000), Sample.write(0), .close])
    }
}
