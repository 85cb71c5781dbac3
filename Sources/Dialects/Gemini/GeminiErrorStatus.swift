/// The canonical `google.rpc` status names Gemini puts in `error.status`, each with the HTTP
/// status Google pairs with it.
enum GeminiErrorStatus: String, CaseIterable, Sendable {
    case invalidArgument = "INVALID_ARGUMENT"
    case failedPrecondition = "FAILED_PRECONDITION"
    case unauthenticated = "UNAUTHENTICATED"
    case permissionDenied = "PERMISSION_DENIED"
    case notFound = "NOT_FOUND"
    case resourceExhausted = "RESOURCE_EXHAUSTED"
    case cancelled = "CANCELLED"
    case `internal` = "INTERNAL"
    case unavailable = "UNAVAILABLE"
    case deadlineExceeded = "DEADLINE_EXCEEDED"

    /// The HTTP status Google sends with this status name.
    var code: Int {
        switch self {
        case .invalidArgument, .failedPrecondition: return 400
        case .unauthenticated: return 401
        case .permissionDenied: return 403
        case .notFound: return 404
        case .resourceExhausted: return 429
        case .cancelled: return 499
        case .internal: return 500
        case .unavailable: return 503
        case .deadlineExceeded: return 504
        }
    }

    /// The status name Gemini would send for a kind of failure.
    init(kind: ErrorKind) {
        switch kind {
        case .rateLimit: self = .resourceExhausted
        case .overloaded, .connection, .malformed: self = .unavailable
        case .serverError: self = .internal
        case .timeout: self = .deadlineExceeded
        case .contextWindow, .contentPolicy, .badRequest, .prefillRejected: self = .invalidArgument
        case .auth: self = .unauthenticated
        case .notFound: self = .notFound
        }
    }
}
