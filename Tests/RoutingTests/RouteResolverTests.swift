import Dialects
import Testing

@testable import Routing

/// One scripted run of the resolver: the failures of successive attempts and the decisions expected.
struct ResolverCase: Sendable, CustomTestStringConvertible {
    var name: String
    var settings = RouterSettings()
    /// Model groups and how many deployments each has.
    var groups: [(String, Int)] = [("a", 1), ("b", 1), ("c", 1), ("d", 1)]
    var group = "a"
    var request = RequestRoutingFields()
    var failures: [AttemptFailure]
    var expected: [RouteDecision]

    var testDescription: String { name }

    func run() -> [RouteDecision] {
        let deployments = groups.flatMap { group, count in
            (0..<count).map { Deployment(id: "\(group)[\($0)]", group: group, provider: .openai, model: group) }
        }
        let policy = RoutePolicy(
            settings: request.settings.overriding(settings), requestNumRetries: request.numRetries,
            disableFallbacks: request.disableFallbacks, deployments: deployments)
        var resolver = RouteResolver(policy: policy, group: group)
        return failures.map { resolver.next(after: $0) }
    }
}

private func failure(
    _ kind: ErrorKind, _ status: Int?, retryAfter: Duration? = nil, delivered: DeliveredContent = .nothing,
    continuation: AttemptContinuation? = nil, diverged: Bool = false, noDeployment: Bool = false
) -> AttemptFailure {
    AttemptFailure(
        error: OutcomeError(kind: kind, status: status, message: "\(kind.rawValue) \(status.map(String.init) ?? "in-band")"),
        retryAfter: retryAfter, delivered: delivered, continuation: continuation, restartDiverged: diverged,
        noDeploymentAvailable: noDeployment)
}

private func error(_ kind: ErrorKind, _ status: Int?) -> OutcomeError {
    failure(kind, status).error
}

private let backoff = RoutePolicy.defaultRetryBackoff
private let toB: FallbackMap = ["a": ["b"]]

@Suite("Route resolver")
struct RouteResolverTests {
    static let retryCases: [ResolverCase] = [
        ResolverCase(
            name: "a 429 is retried on the same group before the group's fallbacks",
            settings: RouterSettings(numRetries: 1, fallbacks: toB),
            failures: [failure(.rateLimit, 429), failure(.rateLimit, 429)],
            expected: [.retry(group: "a", delay: backoff), .fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "retry-after is honoured",
            settings: RouterSettings(numRetries: 1, fallbacks: toB),
            failures: [failure(.rateLimit, 429, retryAfter: .seconds(3))],
            expected: [.retry(group: "a", delay: .seconds(3))]),
        ResolverCase(
            name: "retry-after is bounded by max_retry_delay",
            settings: RouterSettings(numRetries: 1, maxRetryDelay: .seconds(4)),
            failures: [failure(.rateLimit, 429, retryAfter: .seconds(120))],
            expected: [.retry(group: "a", delay: .seconds(4))]),
        ResolverCase(
            name: "without retry-after the delay doubles from retry_backoff",
            settings: RouterSettings(numRetries: 3, fallbacks: toB, retryBackoff: .milliseconds(100)),
            failures: Array(repeating: failure(.serverError, 503), count: 4),
            expected: [
                .retry(group: "a", delay: .milliseconds(100)), .retry(group: "a", delay: .milliseconds(200)),
                .retry(group: "a", delay: .milliseconds(400)), .fallback(group: "b", list: .general),
            ]),
        ResolverCase(
            name: "a retry_policy entry sets the budget for its error class only",
            settings: RouterSettings(numRetries: 0, retryPolicy: RetryPolicy([.rateLimit: 2]), fallbacks: toB),
            failures: [failure(.rateLimit, 429), failure(.rateLimit, 429), failure(.serverError, 500)],
            expected: [
                .retry(group: "a", delay: backoff), .retry(group: "a", delay: backoff * 2),
                .fallback(group: "b", list: .general),
            ]),
        ResolverCase(
            name: "the request's num_retries wins over retry_policy and settings",
            settings: RouterSettings(numRetries: 3, retryPolicy: RetryPolicy([.rateLimit: 3]), fallbacks: toB),
            request: RequestRoutingFields(numRetries: 0),
            failures: [failure(.rateLimit, 429)],
            expected: [.fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "an authentication error is retried when the group has another deployment",
            settings: RouterSettings(numRetries: 1, fallbacks: toB), groups: [("a", 2), ("b", 1)],
            failures: [failure(.auth, 401), failure(.auth, 401)],
            expected: [.retry(group: "a", delay: backoff), .fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "an in-band rate-limit event (no status) is retried and fails over exactly like HTTP 429",
            settings: RouterSettings(numRetries: 1, fallbacks: toB),
            failures: [failure(.rateLimit, nil), failure(.rateLimit, nil)],
            expected: [.retry(group: "a", delay: backoff), .fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "an in-band overloaded event fails over exactly like HTTP 529",
            settings: RouterSettings(fallbacks: toB),
            failures: [failure(.overloaded, nil)],
            expected: [.fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "first-token and idle timeouts are retried and fail over",
            settings: RouterSettings(numRetries: 1, fallbacks: toB),
            failures: [failure(.timeout, nil), failure(.timeout, nil)],
            expected: [.retry(group: "a", delay: backoff), .fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "a stream cut or reset (connection error) is retried and fails over",
            settings: RouterSettings(numRetries: 1, fallbacks: toB),
            failures: [failure(.connection, nil), failure(.malformed, nil)],
            expected: [.retry(group: "a", delay: backoff), .fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "a group whose deployments are all cooling down is not retried",
            settings: RouterSettings(numRetries: 2, fallbacks: toB),
            failures: [failure(.rateLimit, 429, noDeployment: true)],
            expected: [.fallback(group: "b", list: .general)]),
    ]

    @Test("retries: retryable errors retry the same group within budget and delay bounds", arguments: retryCases)
    func retries(_ testCase: ResolverCase) {
        #expect(testCase.run() == testCase.expected)
    }

    static let nonRetryableStatuses: [(Int, ErrorKind)] = [
        (400, .badRequest), (401, .auth), (403, .auth), (404, .notFound), (413, .badRequest), (422, .badRequest),
    ]

    @Test("non-retryable 4xx are never retried on the same group but still fall back", arguments: nonRetryableStatuses)
    func nonRetryable(_ status: Int, _ kind: ErrorKind) {
        let testCase = ResolverCase(
            name: "\(status)", settings: RouterSettings(numRetries: 3, fallbacks: toB), failures: [failure(kind, status)],
            expected: [.fallback(group: "b", list: .general)])
        #expect(testCase.run() == testCase.expected)
    }

    @Test("408, 409, 429 and every 5xx are retryable", arguments: [408, 409, 429, 500, 502, 503, 504, 529])
    func retryableStatuses(_ status: Int) {
        let testCase = ResolverCase(
            name: "\(status)", settings: RouterSettings(numRetries: 1, fallbacks: toB),
            failures: [failure(.serverError, status)], expected: [.retry(group: "a", delay: backoff)])
        #expect(testCase.run() == testCase.expected)
    }

    static let listCases: [ResolverCase] = [
        ResolverCase(
            name: "a context-window error uses context_window_fallbacks",
            settings: RouterSettings(fallbacks: toB, contextWindowFallbacks: ["a": ["c"]]),
            failures: [failure(.contextWindow, 400)], expected: [.fallback(group: "c", list: .contextWindow)]),
        ResolverCase(
            name: "a context-window error without a context-window entry gives up instead of using general fallbacks",
            settings: RouterSettings(fallbacks: toB, contextWindowFallbacks: ["z": ["c"]]),
            failures: [failure(.contextWindow, 400)], expected: [.giveUp(error(.contextWindow, 400))]),
        ResolverCase(
            name: "a content-policy error uses content_policy_fallbacks",
            settings: RouterSettings(fallbacks: toB, contentPolicyFallbacks: ["a": ["d"]]),
            failures: [failure(.contentPolicy, 400)], expected: [.fallback(group: "d", list: .contentPolicy)]),
        ResolverCase(
            name: "a content-policy error falls through to the general fallbacks when its list has no entry",
            settings: RouterSettings(fallbacks: toB),
            failures: [failure(.contentPolicy, 400)], expected: [.fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "other errors use fallbacks, not the context-window list",
            settings: RouterSettings(fallbacks: toB, contextWindowFallbacks: ["a": ["c"]]),
            failures: [failure(.serverError, 500)], expected: [.fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "default_fallbacks apply when fallbacks has no entry for the group",
            settings: RouterSettings(fallbacks: ["z": ["b"]], defaultFallbacks: ["d"]),
            failures: [failure(.serverError, 500)], expected: [.fallback(group: "d", list: .defaults)]),
        ResolverCase(
            name: "lookup takes the exact group name first",
            settings: RouterSettings(fallbacks: ["*": ["c"], "gpt-4o": ["b"], "openai/gpt-4o": ["d"]]),
            groups: [("openai/gpt-4o", 1), ("b", 1), ("c", 1), ("d", 1)], group: "openai/gpt-4o",
            failures: [failure(.serverError, 500)], expected: [.fallback(group: "d", list: .general)]),
        ResolverCase(
            name: "lookup then takes the provider-stripped group name",
            settings: RouterSettings(fallbacks: ["*": ["c"], "gpt-4o": ["b"]]),
            groups: [("openai/gpt-4o", 1), ("b", 1), ("c", 1)], group: "openai/gpt-4o",
            failures: [failure(.serverError, 500)], expected: [.fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "lookup finally takes *",
            settings: RouterSettings(fallbacks: ["x": ["b"], "*": ["c"]]),
            failures: [failure(.serverError, 500)], expected: [.fallback(group: "c", list: .general)]),
        ResolverCase(
            name: "the original group is skipped when it appears in its own fallback list",
            settings: RouterSettings(fallbacks: ["a": ["a", "b"]]),
            failures: [failure(.serverError, 500)], expected: [.fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "unknown groups in a fallback list are skipped",
            request: RequestRoutingFields(fallbacks: ["a": ["nope", "c"]]),
            failures: [failure(.serverError, 500)], expected: [.fallback(group: "c", list: .general)]),
    ]

    @Test("the error kind picks the fallback list, looked up as LiteLLM does", arguments: listCases)
    func fallbackLists(_ testCase: ResolverCase) {
        #expect(testCase.run() == testCase.expected)
    }

    static let chainCases: [ResolverCase] = [
        ResolverCase(
            name: "each fallback group gets its own retries and fallbacks, depth first, each group once",
            settings: RouterSettings(numRetries: 1, fallbacks: ["a": ["b", "c"], "b": ["d", "a"], "d": ["c"]]),
            failures: Array(repeating: failure(.rateLimit, 429), count: 7) + [failure(.serverError, 500)],
            expected: [
                .retry(group: "a", delay: backoff), .fallback(group: "b", list: .general),
                .retry(group: "b", delay: backoff), .fallback(group: "d", list: .general),
                .retry(group: "d", delay: backoff), .fallback(group: "c", list: .general),
                .retry(group: "c", delay: backoff), .giveUp(error(.serverError, 500)),
            ]),
        ResolverCase(
            name: "max_fallbacks limits how deep fallbacks of fallbacks go",
            settings: RouterSettings(fallbacks: ["a": ["b"], "b": ["c"]], maxFallbacks: 1),
            failures: [failure(.serverError, 500), failure(.serverError, 502)],
            expected: [.fallback(group: "b", list: .general), .giveUp(error(.serverError, 502))]),
        ResolverCase(
            name: "giving up reports the last error",
            settings: RouterSettings(fallbacks: ["a": ["b", "c"]]),
            failures: [failure(.rateLimit, 429), failure(.overloaded, 529), failure(.serverError, 500)],
            expected: [
                .fallback(group: "b", list: .general), .fallback(group: "c", list: .general),
                .giveUp(error(.serverError, 500)),
            ]),
        ResolverCase(
            name: "disable_fallbacks keeps retries but never falls back",
            settings: RouterSettings(numRetries: 1, fallbacks: toB),
            request: RequestRoutingFields(disableFallbacks: true),
            failures: [failure(.rateLimit, 429), failure(.rateLimit, 429)],
            expected: [.retry(group: "a", delay: backoff), .giveUp(error(.rateLimit, 429))]),
        ResolverCase(
            name: "a request's fallbacks replace the configured ones",
            settings: RouterSettings(fallbacks: toB),
            request: RequestRoutingFields(fallbacks: ["a": ["c"]]),
            failures: [failure(.serverError, 500)], expected: [.fallback(group: "c", list: .general)]),
        ResolverCase(
            name: "no fallbacks configured gives up with the error",
            failures: [failure(.serverError, 500)], expected: [.giveUp(error(.serverError, 500))]),
    ]

    @Test("fallback chains: own retries per group, depth-first, depth-limited, each group once", arguments: chainCases)
    func chains(_ testCase: ResolverCase) {
        #expect(testCase.run() == testCase.expected)
    }

    static let midStreamCases: [ResolverCase] = [
        ResolverCase(
            name: "a continuation rejected for prefill goes to the next fallback and the original error is reported",
            settings: RouterSettings(fallbacks: ["a": ["b", "c"]]),
            failures: [
                failure(.overloaded, nil, delivered: .text),
                failure(.prefillRejected, 400, delivered: .text, continuation: .prefill),
                failure(.badRequest, 400, delivered: .text, continuation: .userMessage),
            ],
            expected: [
                .fallback(group: "b", list: .general), .fallback(group: "c", list: .general),
                .giveUp(error(.overloaded, nil)),
            ]),
        ResolverCase(
            name: "a rejected continuation is never retried on the same group",
            settings: RouterSettings(numRetries: 2, fallbacks: ["a": ["b", "c"]]),
            failures: [
                failure(.serverError, 500, delivered: .text), failure(.serverError, 500, delivered: .text),
                failure(.serverError, 500, delivered: .text),
                failure(.badRequest, 400, delivered: .text, continuation: .userMessage),
            ],
            expected: [
                .retry(group: "a", delay: backoff), .retry(group: "a", delay: backoff * 2),
                .fallback(group: "b", list: .general), .fallback(group: "c", list: .general),
            ]),
        ResolverCase(
            name: "a continuation answered with 429 is a rate limit, retried, and becomes the reported error",
            settings: RouterSettings(numRetries: 1, fallbacks: toB),
            failures: [
                failure(.serverError, 500, delivered: .text), failure(.serverError, 500, delivered: .text),
                failure(.rateLimit, 429, delivered: .text, continuation: .prefill),
                failure(.rateLimit, 429, delivered: .text, continuation: .prefill),
            ],
            expected: [
                .retry(group: "a", delay: backoff), .fallback(group: "b", list: .general),
                .retry(group: "b", delay: backoff), .giveUp(error(.rateLimit, 429)),
            ]),
        ResolverCase(
            name: "a restart whose answer diverged from the sent prefix counts as a rejection",
            settings: RouterSettings(numRetries: 1, fallbacks: ["a": ["b", "c"]], midStreamFallback: .restart),
            failures: [
                failure(.timeout, nil, delivered: .text), failure(.timeout, nil, delivered: .text),
                failure(.malformed, nil, delivered: .text, continuation: .restart, diverged: true),
            ],
            expected: [
                .retry(group: "a", delay: backoff), .fallback(group: "b", list: .general),
                .fallback(group: "c", list: .general),
            ]),
        ResolverCase(
            name: "mid_stream_fallback disabled gives up once text reached the client",
            settings: RouterSettings(numRetries: 2, fallbacks: toB, midStreamFallback: .disabled),
            failures: [failure(.overloaded, nil, delivered: .text)],
            expected: [.giveUp(error(.overloaded, nil))]),
        ResolverCase(
            name: "mid_stream_fallback disabled still fails over while nothing reached the client",
            settings: RouterSettings(fallbacks: toB, midStreamFallback: .disabled),
            failures: [failure(.overloaded, nil, delivered: .nothing)],
            expected: [.fallback(group: "b", list: .general)]),
        ResolverCase(
            name: "tool-call content already sent cannot be continued, so the router gives up",
            settings: RouterSettings(numRetries: 2, fallbacks: toB),
            failures: [failure(.connection, nil, delivered: .toolCalls)],
            expected: [.giveUp(error(.connection, nil))]),
    ]

    @Test("mid-stream failures: continuation rejections never mask the original error", arguments: midStreamCases)
    func midStream(_ testCase: ResolverCase) {
        #expect(testCase.run() == testCase.expected)
    }

    @Test("with continue, a failure after text decides exactly like the same failure before any content")
    func deliveredTextDoesNotChangeTheRoute() {
        for kind in ErrorKind.allCases {
            for status in [nil, 400, 429, 503] as [Int?] {
                let settings = RouterSettings(numRetries: 1, fallbacks: ["a": ["b"], "b": ["c"]])
                let before = ResolverCase(
                    name: "", settings: settings, failures: Array(repeating: failure(kind, status), count: 5), expected: [])
                var after = before
                after.failures = Array(repeating: failure(kind, status, delivered: .text), count: 5)
                #expect(before.run() == after.run(), "kind \(kind) status \(String(describing: status))")
            }
        }
    }

    @Test("key-level settings and request fields layer the same way for every request")
    func policyLayers() throws {
        let config = RouterConfig(
            deployments: ["a", "b", "c", "d"].map { Deployment(id: $0, group: $0, provider: .openai, model: $0) },
            settings: RouterSettings(numRetries: 2, fallbacks: toB),
            keys: [KeySettings(key: "k", settings: RouterSettings(fallbacks: ["a": ["d"]]))])
        let failed = failure(.serverError, 500)

        var global = RouteResolver(policy: RoutePolicy(config: config, key: nil, request: RequestRoutingFields()), group: "a")
        let globalDecision = global.next(after: failed)
        #expect(globalDecision == .retry(group: "a", delay: backoff))

        var keyed = RouteResolver(
            policy: RoutePolicy(config: config, key: "k", request: RequestRoutingFields(numRetries: 0)), group: "a")
        let keyedDecision = keyed.next(after: failed)
        #expect(keyedDecision == .fallback(group: "d", list: .general))

        var requested = RouteResolver(
            policy: RoutePolicy(
                config: config, key: "k", request: RequestRoutingFields(fallbacks: ["a": ["c"]], numRetries: 0)),
            group: "a")
        let requestedDecision = requested.next(after: failed)
        #expect(requestedDecision == .fallback(group: "c", list: .general))
    }

    @Test("deployment num_retries is the group's budget when neither request nor retry_policy set one")
    func deploymentRetries() {
        let deployments = [
            Deployment(id: "a0", group: "a", provider: .openai, model: "x", numRetries: 2),
            Deployment(id: "b0", group: "b", provider: .openai, model: "y"),
        ]
        let policy = RoutePolicy(settings: RouterSettings(numRetries: 0, fallbacks: toB), deployments: deployments)
        var resolver = RouteResolver(policy: policy, group: "a")
        let decisions = (0..<4).map { _ in resolver.next(after: failure(.serverError, 500)) }
        #expect(
            decisions == [
                .retry(group: "a", delay: backoff), .retry(group: "a", delay: backoff * 2),
                .fallback(group: "b", list: .general), .giveUp(error(.serverError, 500)),
            ])
    }
}

@Suite("Request routing fields")
struct RequestRoutingFieldsTests {
    @Test("a list of names applies to the requested group; objects are taken as LiteLLM writes them")
    func parsesBothShapes() throws {
        let body: JSONValue = [
            "model": "a", "fallbacks": ["b", ["c": ["d"]]], "num_retries": 2, "disable_fallbacks": true,
            "context_window_fallbacks": [["a": ["c"]]],
        ]
        let fields = try RequestRoutingFields.parse(body: body, group: "a")
        #expect(fields.fallbacks?.targets(for: "a") == ["b"])
        #expect(fields.fallbacks?.targets(for: "c") == ["d"])
        #expect(fields.contextWindowFallbacks?.targets(for: "a") == ["c"])
        #expect(fields.numRetries == 2 && fields.disableFallbacks)
    }

    @Test("wrongly typed fields are refused with the field's name")
    func refusesWrongTypes() {
        #expect(throws: RequestFieldError.invalid(field: "num_retries", reason: "expected a non-negative whole number")) {
            try RequestRoutingFields.parse(body: ["num_retries": "two"], group: "a")
        }
        #expect(throws: RequestFieldError.self) { try RequestRoutingFields.parse(body: ["fallbacks": "b"], group: "a") }
        #expect(throws: RequestFieldError.self) { try RequestRoutingFields.parse(body: ["disable_fallbacks": 1], group: "a") }
    }
}
