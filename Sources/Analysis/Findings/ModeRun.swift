import Dialects

/// The two ways a client can ask: streaming or not.
public enum Mode: String, Codable, Sendable, CaseIterable {
    case stream
    case nonStream = "non_stream"
}

/// A continuation an upstream request carried: the partial answer it asked the model to continue.
public struct ContinuationRecord: Codable, Sendable, Hashable {
    /// `prefill` (the request ends with an assistant turn) or `user_message`.
    public var style: String
    public var text: String

    public init(style: String, text: String) {
        self.style = style
        self.text = text
    }
}

/// What one upstream (the replay server, standing in for a provider) saw and answered.
public struct UpstreamAttempt: Codable, Sendable, Hashable {
    /// The model the request asked the upstream for.
    public var model: String
    public var stream: Bool
    /// The canonical fault spec applied, nil when the upstream behaved.
    public var fault: String?
    public var ending: Ending
    public var status: Int?
    /// The error kind the upstream answered with (e.g. `prefill_rejected`), if any.
    public var errorKind: ErrorKind?
    public var continuation: ContinuationRecord?
    /// The model name the upstream's response reported.
    public var reportedModel: String?
    public var framesSent: Int
    /// When the upstream saw the request and when its response ended, in milliseconds from the
    /// start of the client's request.
    public var startMilliseconds: Double
    public var endMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case model, stream, fault, ending, status, continuation
        case errorKind = "error_kind"
        case reportedModel = "reported_model"
        case framesSent = "frames_sent"
        case startMilliseconds = "start_ms"
        case endMilliseconds = "end_ms"
    }

    /// Every field, absent values as null, so readers of report.json see one shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(stream, forKey: .stream)
        try c.encode(fault, forKey: .fault)
        try c.encode(ending, forKey: .ending)
        try c.encode(status, forKey: .status)
        try c.encode(errorKind, forKey: .errorKind)
        try c.encode(continuation, forKey: .continuation)
        try c.encode(reportedModel, forKey: .reportedModel)
        try c.encode(framesSent, forKey: .framesSent)
        try c.encode(startMilliseconds, forKey: .startMilliseconds)
        try c.encode(endMilliseconds, forKey: .endMilliseconds)
    }

    public init(
        model: String, stream: Bool, fault: String? = nil, ending: Ending, status: Int? = nil,
        errorKind: ErrorKind? = nil, continuation: ContinuationRecord? = nil, reportedModel: String? = nil,
        framesSent: Int = 0, startMilliseconds: Double = 0, endMilliseconds: Double = 0
    ) {
        self.startMilliseconds = startMilliseconds
        self.endMilliseconds = endMilliseconds
        self.model = model
        self.stream = stream
        self.fault = fault
        self.ending = ending
        self.status = status
        self.errorKind = errorKind
        self.continuation = continuation
        self.reportedModel = reportedModel
        self.framesSent = framesSent
    }
}

/// Everything one mode of one scenario produced: the client's outcome and the upstream attempts.
public struct ModeRun: Codable, Sendable, Hashable {
    public var mode: Mode
    public var outcome: Outcome
    public var attempts: [UpstreamAttempt]
    /// True when the client gave up waiting: the response never ended.
    public var hung: Bool
    public var elapsedMilliseconds: Int
    /// What reached the client and when: one entry per SSE frame (stream) or the body (non-stream).
    public var clientFrames: [ClientFrame]

    public init(
        mode: Mode, outcome: Outcome, attempts: [UpstreamAttempt], hung: Bool = false, elapsedMilliseconds: Int = 0,
        clientFrames: [ClientFrame] = []
    ) {
        self.clientFrames = clientFrames
        self.mode = mode
        self.outcome = outcome
        self.attempts = attempts
        self.hung = hung
        self.elapsedMilliseconds = elapsedMilliseconds
    }

    /// The distinct upstream models tried, in first-tried order.
    public var modelsTried: [String] {
        var seen: [String] = []
        for attempt in attempts where !seen.contains(attempt.model) { seen.append(attempt.model) }
        return seen
    }

    /// True when the request went beyond the first model it tried.
    public var failedOver: Bool { modelsTried.count > 1 }

    /// How many attempts each model got, in first-tried order.
    public var attemptsPerModel: [String: Int] {
        attempts.reduce(into: [:]) { $0[$1.model, default: 0] += 1 }
    }
}

/// One piece of response that reached the client.
public struct ClientFrame: Codable, Sendable, Hashable {
    public var milliseconds: Double
    public var bytes: Int
    /// The text this frame added to the answer, if any.
    public var text: String

    enum CodingKeys: String, CodingKey {
        case milliseconds = "ms"
        case bytes, text
    }

    public init(milliseconds: Double, bytes: Int, text: String = "") {
        self.milliseconds = milliseconds
        self.bytes = bytes
        self.text = text
    }
}

/// What the scenario set up, which some checks need to judge the runs.
public struct ScenarioContext: Codable, Sendable, Hashable {
    /// The request disabled fallbacks (`disable_fallbacks: true`).
    public var disableFallbacks: Bool
    /// The model (group) the client asked for: gateways may report it instead of the
    /// deployment's model when the primary answered.
    public var requestedModel: String?

    public init(disableFallbacks: Bool = false, requestedModel: String? = nil) {
        self.disableFallbacks = disableFallbacks
        self.requestedModel = requestedModel
    }
}
