/// How OpenAI-shaped error objects (`{"message","type","param","code"}`) map to the error taxonomy,
/// and the objects Tapedeck sends for each kind. Chat Completions and Responses share it: their
/// HTTP error bodies are the same, and their in-band errors carry the same fields.
///
/// Classification reads the most specific evidence first: a known `code`, then a known `type`,
/// then an unmistakable message (context window, prefill, content policy), then the HTTP status
/// (or a numeric `code`, as LiteLLM and OpenRouter send), then generic types, then weaker
/// message hints. `insufficient_quota` counts as `rate_limit`: it arrives as a 429 and clients and
/// gateways (the SDK's `RateLimitError`, LiteLLM) treat it as one, falling over to another key.
enum OpenAIErrorCatalog {
    /// The wire fields Tapedeck writes for one kind.
    struct Shape {
        var status: Int
        var type: String
        var code: String?
        var param: String?
    }

    /// The error object fields and HTTP status used for a kind.
    static func shape(for kind: ErrorKind) -> Shape {
        switch kind {
        case .rateLimit: return Shape(status: 429, type: "requests", code: "rate_limit_exceeded")
        case .overloaded: return Shape(status: 503, type: "service_unavailable_error", code: "server_is_overloaded")
        case .serverError: return Shape(status: 500, type: "server_error", code: nil)
        case .timeout: return Shape(status: 408, type: "server_error", code: "timeout")
        case .contextWindow:
            return Shape(status: 400, type: "invalid_request_error", code: "context_length_exceeded", param: "messages")
        case .contentPolicy: return Shape(status: 400, type: "invalid_request_error", code: "content_policy_violation")
        case .auth: return Shape(status: 401, type: "invalid_request_error", code: "invalid_api_key")
        case .badRequest: return Shape(status: 400, type: "invalid_request_error", code: nil)
        case .notFound: return Shape(status: 404, type: "invalid_request_error", code: "model_not_found", param: "model")
        // No OpenAI code exists for this: like Anthropic's own error, only the message tells.
        case .prefillRejected: return Shape(status: 400, type: "invalid_request_error", code: nil, param: "messages")
        case .connection: return Shape(status: 502, type: "server_error", code: "connection_error")
        case .malformed: return Shape(status: 502, type: "server_error", code: "malformed_response")
        }
    }

    /// The `{"message","type","param","code"}` object for a kind.
    static func errorObject(kind: ErrorKind, message: String?) -> JSONValue {
        let shape = shape(for: kind)
        return [
            "message": .string(message ?? kind.defaultMessage),
            "type": .string(shape.type),
            "param": shape.param.map(JSONValue.string) ?? .null,
            "code": shape.code.map(JSONValue.string) ?? .null,
        ]
    }

    /// A complete HTTP error response as OpenAI sends it.
    static func errorResponse(kind: ErrorKind, message: String?, retryAfter: Int?) -> ProviderErrorResponse {
        let body = JSONWriter.bytes(["error": errorObject(kind: kind, message: message)])
        var headers = [HTTPField("content-type", "application/json")]
        if let retryAfter {
            headers.append(HTTPField("retry-after", String(retryAfter)))
            // A retry-after too large to express in milliseconds (from a fault spec) is sent clamped.
            let (milliseconds, overflow) = retryAfter.multipliedReportingOverflow(by: 1000)
            headers.append(HTTPField("retry-after-ms", String(overflow ? (retryAfter < 0 ? Int.min : Int.max) : milliseconds)))
        }
        headers.append(HTTPField("x-request-id", OpenAISyntheticID.make(prefix: "req_", seed: body)))
        return ProviderErrorResponse(status: shape(for: kind).status, headers: headers, body: body)
    }

    /// The taxonomy kind of an error object, given the HTTP status when there was one.
    static func kind(status: Int?, error: JSONValue?) -> ErrorKind {
        let code = codeText(error?["code"])
        let type = error?["type"]?.stringValue?.lowercased() ?? ""
        let message = message(of: error)?.lowercased() ?? ""
        if let kind = specificCodes[code] ?? specificTypes[type] { return kind }
        if let kind = strongMessageKind(message) { return kind }
        if let status = status ?? statusHint(code: code, error: error), let kind = kind(status: status) { return kind }
        if genericServerErrors.contains(type) || genericServerErrors.contains(code) { return .serverError }
        if genericBadRequests.contains(type) || genericBadRequests.contains(code) { return .badRequest }
        return weakMessageKind(message) ?? .serverError
    }

    /// The kind an HTTP status means on its own.
    static func kind(status: Int) -> ErrorKind? {
        switch status {
        case 401, 403: return .auth
        case 404: return .notFound
        case 408, 504: return .timeout
        case 429: return .rateLimit
        case 503, 529: return .overloaded
        // 409 is a transient conflict the SDK retries, so it is grouped with server errors.
        case 409: return .serverError
        case 400..<500: return .badRequest
        case 500..<600: return .serverError
        default: return nil
        }
    }

    /// The message of an error object, or the error itself when a proxy sent a bare string.
    static func message(of error: JSONValue?) -> String? {
        if let text = error?.stringValue { return text }
        return error?["message"]?.stringValue
    }

    /// An outcome error for an HTTP error response whose body may or may not be JSON.
    static func classify(status: Int?, body: [UInt8]) -> OutcomeError {
        let json = try? JSONValue.parse(body)
        let error = json?["error"].flatMap { $0.isNull ? nil : $0 }
        let kind = kind(status: status, error: error)
        let message = message(of: error) ?? bodySnippet(body) ?? kind.defaultMessage
        return OutcomeError(kind: kind, status: status ?? shape(for: kind).status, message: message)
    }

    /// The error an SDK raises for a data frame that is not JSON, quoting the start of it.
    static func malformedEventError(_ data: String) -> OutcomeError {
        OutcomeError(kind: .malformed, status: nil, message: "Invalid JSON in stream event data: \(String(data.prefix(100)))")
    }

    /// The error for a 2xx body that is not JSON, quoting the start of it.
    static func malformedBodyError(_ body: [UInt8]) -> OutcomeError {
        let text = String(decoding: body.prefix(100), as: UTF8.self)
        return OutcomeError(kind: .malformed, status: nil, message: "Invalid JSON in response body: \(text)")
    }

    /// True when a value is what the SDK treats as an error: present, not null, not empty.
    static func isError(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?, .bool(false)?: return false
        case .string(let text)?: return !text.isEmpty
        case .object(let members)?: return !members.isEmpty
        default: return true
        }
    }

    private static func codeText(_ value: JSONValue?) -> String {
        if let text = value?.stringValue { return text.lowercased() }
        if let number = value?.intValue { return String(number) }
        return ""
    }

    /// A status carried in the error itself: a numeric `code` (LiteLLM, OpenRouter) or `status`.
    private static func statusHint(code: String, error: JSONValue?) -> Int? {
        if let status = Int(code), (100..<600).contains(status) { return status }
        if let status = error?["status"]?.intValue, (100..<600).contains(status) { return status }
        return nil
    }

    private static func bodySnippet(_ body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(500), as: UTF8.self)
        let trimmed = text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()
        return trimmed.isEmpty ? nil : String(trimmed)
    }

    private static let specificCodes: [String: ErrorKind] = [
        "rate_limit_exceeded": .rateLimit, "insufficient_quota": .rateLimit, "too_many_requests": .rateLimit,
        "credit_balance_exhausted": .rateLimit, "rate_limit_error": .rateLimit,
        "server_is_overloaded": .overloaded, "service_unavailable": .overloaded,
        "service_unavailable_error": .overloaded, "overloaded_error": .overloaded, "overloaded": .overloaded,
        "timeout": .timeout, "request_timeout": .timeout, "timeout_error": .timeout,
        "context_length_exceeded": .contextWindow, "context_window_exceeded": .contextWindow,
        "content_policy_violation": .contentPolicy, "content_filter": .contentPolicy,
        "invalid_api_key": .auth, "invalid_authentication": .auth, "unsupported_country_region_territory": .auth,
        "model_not_found": .notFound,
        "connection_error": .connection, "malformed_response": .malformed,
    ]

    private static let specificTypes: [String: ErrorKind] = [
        "requests": .rateLimit, "tokens": .rateLimit, "rate_limit_error": .rateLimit,
        "insufficient_quota": .rateLimit, "too_many_requests": .rateLimit,
        "service_unavailable_error": .overloaded, "overloaded_error": .overloaded,
        "timeout_error": .timeout,
        "authentication_error": .auth, "permission_error": .auth,
        "not_found_error": .notFound,
        "api_connection_error": .connection,
    ]

    private static let genericServerErrors: Set<String> = ["server_error", "api_error", "internal_error"]
    private static let genericBadRequests: Set<String> = ["invalid_request_error", "invalid_prompt", "invalid_value"]

    /// Phrases that settle the kind whatever the status says (they name the exact failure).
    private static func strongMessageKind(_ message: String) -> ErrorKind? {
        if message.isEmpty { return nil }
        let rules: [(ErrorKind, [String])] = [
            (.prefillRejected, ["assistant message prefill", "does not support prefill", "prefill is not supported"]),
            (.contextWindow, ["maximum context length", "context_length_exceeded", "context window",
                              "contextwindowexceedederror", "prompt is too long"]),
            (.contentPolicy, ["content management policy", "content_policy", "contentpolicyviolation",
                              "usage policy", "safety system"]),
        ]
        return rules.first { _, phrases in phrases.contains { message.contains($0) } }?.0
    }

    /// Hints used only when no code, type or status decided: gateways' exception names first.
    private static func weakMessageKind(_ message: String) -> ErrorKind? {
        let rules: [(ErrorKind, [String])] = [
            (.rateLimit, ["ratelimiterror", "rate limit"]),
            (.overloaded, ["serviceunavailableerror", "overloaded"]),
            (.timeout, ["litellm.timeout", "timed out", "timeout"]),
            (.auth, ["authenticationerror", "api key"]),
            (.notFound, ["notfounderror"]),
            (.connection, ["apiconnectionerror", "connection"]),
            (.badRequest, ["badrequesterror"]),
        ]
        return rules.first { _, phrases in phrases.contains { message.contains($0) } }?.0
    }
}
