import Dialects

/// A client's request as the router receives it (from the gateway, or in process).
public struct ClientRequest: Sendable {
    /// The client's dialect: `.openAIChat`, `.openAIResponses` or `.anthropicMessages`.
    public var dialect: Dialect
    /// The JSON body exactly as sent.
    public var body: [UInt8]
    /// The key the client authenticated with (bearer token or `x-api-key`).
    public var apiKey: String?
    /// Request headers (lowercase names); every `x-tapedeck-*` header is forwarded to each attempt.
    public var headers: [HTTPField]
    /// An id to use for this request; the router makes one when nil.
    public var requestID: String?

    public init(dialect: Dialect, body: [UInt8], apiKey: String? = nil, headers: [HTTPField] = [], requestID: String? = nil) {
        self.dialect = dialect
        self.body = body
        self.apiKey = apiKey
        self.headers = headers
        self.requestID = requestID
    }
}

/// A piece of the router's answer to the client, in order: one head, then body bytes.
public enum ClientResponsePart: Sendable, Hashable {
    case head(status: Int, headers: [HTTPField])
    case body([UInt8])
}

/// What happened to one request, for the caller in process.
public struct RouteReport: Sendable {
    public var requestID: String
    /// The status the client got.
    public var status: Int
    /// True when the client got an event stream (false when even a stream request ended as an
    /// HTTP error because nothing had been sent yet).
    public var streamed: Bool
    /// What the client ended up with, in its dialect: text, tool calls, finish reason, the model
    /// that answered, usage of every attempt combined, and the error if the router gave up.
    public var outcome: Outcome
    public var attempts: [RouteAttempt]
    /// True when the client went away before the answer was complete.
    public var clientGone: Bool

    public init(requestID: String, status: Int, streamed: Bool, outcome: Outcome, attempts: [RouteAttempt], clientGone: Bool) {
        self.requestID = requestID
        self.status = status
        self.streamed = streamed
        self.outcome = outcome
        self.attempts = attempts
        self.clientGone = clientGone
    }
}

/// A whole answer collected in memory (what the analyzer uses in process).
public struct RouteResult: Sendable {
    public var report: RouteReport
    public var status: Int
    public var headers: [HTTPField]
    /// The body, or every byte of the event stream.
    public var body: [UInt8]

    public init(report: RouteReport, status: Int, headers: [HTTPField], body: [UInt8]) {
        self.report = report
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header (names compared case-insensitively).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Why the client's side of an exchange stopped accepting bytes.
public struct ClientGoneError: Error, Sendable {
    public init() {}
}
