import Dialects

/// `http_error:status=N[,retry_after=S]`: a provider-shaped error response instead of the
/// answer, before any byte of it, in both modes.
///
/// The body is the dialect's error for the kind the status means (429 → rate_limit,
/// 503/529 → overloaded, …), sent with the requested status and a `retry-after` header when given.
public struct HTTPErrorFault: Fault {
    public static let kind = "http_error"
    public static let keys = ["status", "retry_after"]

    /// The HTTP status, 400–599.
    public var status: Int
    /// Seconds for the `retry-after` header.
    public var retryAfter: Int?

    public init(status: Int, retryAfter: Int? = nil) {
        self.status = status
        self.retryAfter = retryAfter
    }

    public init(parameters: inout FaultParameters) throws(FaultSpecError) {
        status = try parameters.errorStatus("status")
        retryAfter = try parameters.optionalCount("retry_after")
    }

    public var parameters: [(key: String, value: String)] {
        var pairs = [(key: "status", value: String(status))]
        if let retryAfter { pairs.append((key: "retry_after", value: String(retryAfter))) }
        return pairs
    }

    /// The taxonomy kind providers mean by a status, used to shape the body.
    public static func errorKind(forStatus status: Int) -> ErrorKind {
        switch status {
        case 401, 403: return .auth
        case 404: return .notFound
        case 408, 504: return .timeout
        case 413: return .contextWindow
        case 429: return .rateLimit
        case 503, 529: return .overloaded
        case 500...599: return .serverError
        default: return .badRequest
        }
    }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan { errorPlan(context) }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan { errorPlan(context) }

    private func errorPlan(_ context: FaultContext) -> WirePlan {
        var response = context.codec.errorResponse(
            kind: Self.errorKind(forStatus: status), message: nil, retryAfter: retryAfter)
        response.status = status
        var plan = WirePlanBuilder()
        plan.errorResponse(response)
        return plan.plan
    }
}
