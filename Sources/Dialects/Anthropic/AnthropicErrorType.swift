/// The `error.type` values Anthropic sends in HTTP error bodies and `error` events, each with the
/// HTTP status it comes with.
enum AnthropicErrorType: String, CaseIterable, Sendable {
    case invalidRequest = "invalid_request_error"
    case authentication = "authentication_error"
    case billing = "billing_error"
    case permission = "permission_error"
    case notFound = "not_found_error"
    case requestTooLarge = "request_too_large"
    case rateLimit = "rate_limit_error"
    case api = "api_error"
    case timeout = "timeout_error"
    case overloaded = "overloaded_error"

    /// The HTTP status Anthropic pairs with this type.
    var status: Int {
        switch self {
        case .invalidRequest: return 400
        case .authentication: return 401
        case .billing: return 402
        case .permission: return 403
        case .notFound: return 404
        case .requestTooLarge: return 413
        case .rateLimit: return 429
        case .api: return 500
        case .timeout: return 504
        case .overloaded: return 529
        }
    }

    /// The type Anthropic would send for a kind of failure.
    init(kind: ErrorKind) {
        switch kind {
        case .rateLimit: self = .rateLimit
        case .overloaded: self = .overloaded
        case .serverError, .connection, .malformed: self = .api
        case .timeout: self = .timeout
        case .contextWindow, .contentPolicy, .badRequest, .prefillRejected: self = .invalidRequest
        case .auth: self = .authentication
        case .notFound: self = .notFound
        }
    }

    /// The kind this type means on its own; nil when only the status and message can tell
    /// (`api_error` covers 500 and gateway failures, `invalid_request_error` many 400s).
    var definiteKind: ErrorKind? {
        switch self {
        case .authentication, .permission: return .auth
        case .notFound: return .notFound
        case .rateLimit: return .rateLimit
        case .timeout: return .timeout
        case .overloaded: return .overloaded
        case .invalidRequest, .billing, .requestTooLarge, .api: return nil
        }
    }
}
