import Dialects
import Testing

@testable import Routing

@Suite("Cooldowns and deployment choice")
struct CooldownTests {
    @Test("a deployment is cooled down after more than allowed_fails failures, skipped, then probed again")
    func cooldownThenRecovery() {
        var book = CooldownBook(allowedFails: 1, cooldownTime: .seconds(30))
        let t0 = Duration.seconds(100)
        let started1 = book.recordFailure(of: "x", at: t0)
        #expect(!started1)
        #expect(!book.isCoolingDown("x", at: t0))
        let started2 = book.recordFailure(of: "x", at: t0 + .seconds(1))
        #expect(started2)
        #expect(book.isCoolingDown("x", at: t0 + .seconds(2)))
        #expect(book.remainingCooldown(of: "x", at: t0 + .seconds(11)) == .seconds(20))
        #expect(!book.isCoolingDown("y", at: t0 + .seconds(2)))
        // After cooldown_time the deployment is available again, and its count starts afresh.
        #expect(!book.isCoolingDown("x", at: t0 + .seconds(31)))
        let started3 = book.recordFailure(of: "x", at: t0 + .seconds(32))
        #expect(!started3)
        let started4 = book.recordFailure(of: "x", at: t0 + .seconds(33))
        #expect(started4)
    }

    @Test("failures older than the counting window are forgotten")
    func windowForgets() {
        var book = CooldownBook(allowedFails: 1, cooldownTime: .seconds(30), window: .seconds(60))
        let started5 = book.recordFailure(of: "x", at: .seconds(0))
        #expect(!started5)
        let started6 = book.recordFailure(of: "x", at: .seconds(61))
        #expect(!started6)
        let started7 = book.recordFailure(of: "x", at: .seconds(62))
        #expect(started7)
    }

    @Test("cooldown_time 0 never cools a deployment down")
    func zeroCooldown() {
        var book = CooldownBook(allowedFails: 0, cooldownTime: .zero)
        let started8 = book.recordFailure(of: "x", at: .seconds(1))
        #expect(!started8)
        #expect(!book.isCoolingDown("x", at: .seconds(1)))
    }

    @Test("only failures that say something about the deployment count")
    func whatCounts() {
        #expect(CooldownBook.counts(OutcomeError(kind: .rateLimit, status: 429, message: "")))
        #expect(CooldownBook.counts(OutcomeError(kind: .overloaded, status: nil, message: "")))
        #expect(CooldownBook.counts(OutcomeError(kind: .auth, status: 401, message: "")))
        #expect(!CooldownBook.counts(OutcomeError(kind: .badRequest, status: 400, message: "")))
        #expect(!CooldownBook.counts(OutcomeError(kind: .prefillRejected, status: 400, message: "")))
        #expect(!CooldownBook.counts(OutcomeError(kind: .contextWindow, status: 400, message: "")))
    }

    @Test("deployment choice: the first available in model_list order, moving one further per retry")
    func selection() {
        let deployments = (0..<3).map { Deployment(id: "g[\($0)]", group: "g", provider: .openai, model: "m") }
        let all: (Deployment) -> Bool = { _ in true }
        #expect((0..<4).map { DeploymentSelector.select(from: deployments, attemptInGroup: $0, isAvailable: all)?.id } == [
            "g[0]", "g[1]", "g[2]", "g[0]",
        ])
        let firstDown: (Deployment) -> Bool = { $0.id != "g[0]" }
        #expect(DeploymentSelector.select(from: deployments, attemptInGroup: 0, isAvailable: firstDown)?.id == "g[1]")
        #expect(DeploymentSelector.select(from: deployments, attemptInGroup: 0, isAvailable: { _ in false }) == nil)
    }
}

@Suite("Continuation policy")
struct ContinuationPolicyTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var text: String
        var mode: MidStreamFallback
        var setting: ContinuationSetting
        var prefill: Bool?
        var expected: AttemptContinuation?
        var testDescription: String {
            "\(text.isEmpty ? "empty" : "partial") \(mode) \(setting) prefill=\(String(describing: prefill))"
        }
    }

    static let rows: [Row] = [
        // Never a continuation with empty partial text, whatever the settings.
        Row(text: "", mode: .continue, setting: .auto, prefill: true, expected: nil),
        Row(text: "", mode: .continue, setting: .prefill, prefill: true, expected: nil),
        Row(text: "", mode: .continue, setting: .userMessage, prefill: nil, expected: nil),
        Row(text: "", mode: .restart, setting: .auto, prefill: nil, expected: nil),
        // auto: prefill only where model_info says so; unknown means a user message.
        Row(text: "Hel", mode: .continue, setting: .auto, prefill: true, expected: .prefill),
        Row(text: "Hel", mode: .continue, setting: .auto, prefill: false, expected: .userMessage),
        Row(text: "Hel", mode: .continue, setting: .auto, prefill: nil, expected: .userMessage),
        // Forced styles reproduce what other gateways send.
        Row(text: "Hel", mode: .continue, setting: .prefill, prefill: false, expected: .prefill),
        Row(text: "Hel", mode: .continue, setting: .userMessage, prefill: true, expected: .userMessage),
        Row(text: "Hel", mode: .restart, setting: .auto, prefill: true, expected: .restart),
        Row(text: "Hel", mode: .disabled, setting: .auto, prefill: true, expected: nil),
    ]

    @Test("the continuation style follows mode, setting and the target's prefill support", arguments: rows)
    func plan(_ row: Row) {
        let target = Deployment(
            id: "t", group: "t", provider: .anthropic, model: "claude", supportsAssistantPrefill: row.prefill)
        #expect(
            ContinuationPolicy.plan(deliveredText: row.text, mode: row.mode, setting: row.setting, target: target)
                == row.expected)
    }
}

@Suite("Attempt timeouts")
struct AttemptTimeoutTests {
    @Test("a deployment's timeouts win; the Tapedeck stream timeouts default to stream_timeout, then timeout")
    func layering() {
        let plain = Deployment(id: "p", group: "g", provider: .openai, model: "m")
        let own = Deployment(id: "o", group: "g", provider: .openai, model: "m", timeout: .seconds(9), streamTimeout: .seconds(4))
        let none = RoutePolicy(settings: RouterSettings(), deployments: [plain])
        #expect(none.timeouts(for: plain) == AttemptTimeouts(total: .seconds(600), firstToken: .seconds(600), idle: .seconds(600)))
        let some = RoutePolicy(
            settings: RouterSettings(timeout: .seconds(30), streamTimeout: .seconds(20), streamIdleTimeout: .seconds(5)),
            deployments: [plain, own])
        #expect(some.timeouts(for: plain) == AttemptTimeouts(total: .seconds(30), firstToken: .seconds(20), idle: .seconds(5)))
        #expect(some.timeouts(for: own) == AttemptTimeouts(total: .seconds(9), firstToken: .seconds(4), idle: .seconds(5)))
    }
}
