import Foundation
import SSE

/// Gemini error shapes, both ways: `{"error":{"code":…,"message":…,"status":…,"details":[…]}}`,
/// as an HTTP body or as one `data:` chunk of a stream.
extension GeminiCodec {
    public func classify(status: Int, body: [UInt8]) -> OutcomeError {
        guard let json = try? JSONValue.parse(body) else {
            let kind = Self.kind(code: status, statusName: nil, message: "", reasons: [])
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return OutcomeError(kind: kind, status: status, message: text.isEmpty ? kind.defaultMessage : text)
        }
        // streamGenerateContent without alt=sse answers with a JSON array, errors included.
        let document = json.arrayValue?.first ?? json
        return error(from: document, httpStatus: status)
    }

    public func classify(inBand event: SSEEvent) -> OutcomeError? {
        guard let json = try? JSONValue.parse(event.data), json["error"]?.objectValue != nil else { return nil }
        return error(from: json, httpStatus: nil)
    }

    public func status(for kind: ErrorKind) -> Int {
        switch kind {
        // Gateway-side failures: what Google's front end or a proxy answers.
        case .connection, .malformed: return 502
        default: return GeminiErrorStatus(kind: kind).code
        }
    }

    public func errorResponse(kind: ErrorKind, message: String?, retryAfter: Int?) -> ProviderErrorResponse {
        let body = errorDocument(kind: kind, message: message ?? Self.providerMessage(for: kind), retryAfter: retryAfter)
        var headers = [HTTPField("content-type", "application/json; charset=UTF-8")]
        if let retryAfter { headers.append(HTTPField("retry-after", String(retryAfter))) }
        return ProviderErrorResponse(status: status(for: kind), headers: headers, body: JSONWriter.bytes(body))
    }

    public func inBandErrorEvent(kind: ErrorKind, message: String?) -> SSEEvent {
        SSEEvent(data: JSONWriter.string(errorDocument(kind: kind, message: message ?? Self.providerMessage(for: kind), retryAfter: nil)))
    }

    /// `{"error":{"code","message","status","details"}}` for a kind; a retry delay becomes a
    /// `google.rpc.RetryInfo` detail, as Gemini sends with 429s.
    func errorDocument(kind: ErrorKind, message: String, retryAfter: Int?) -> JSONValue {
        var error: [String: JSONValue] = [
            "code": .int(status(for: kind)),
            "message": .string(message),
            "status": .string(GeminiErrorStatus(kind: kind).rawValue),
        ]
        if let retryAfter {
            error["details"] = [["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": .string("\(retryAfter)s")]]
        }
        return ["error": .object(error)]
    }

    /// Reads a parsed `{"error":…}` document; `httpStatus` is the HTTP status when there was one.
    func error(from json: JSONValue, httpStatus: Int?) -> OutcomeError {
        let error = json["error"] ?? .null
        let message = error["message"]?.stringValue ?? ""
        let reasons = (error["details"]?.arrayValue ?? []).compactMap { $0["reason"]?.stringValue }
        let kind = Self.kind(
            code: httpStatus ?? error["code"]?.intValue, statusName: error["status"]?.stringValue,
            message: message, reasons: reasons
        )
        return OutcomeError(kind: kind, status: httpStatus, message: message.isEmpty ? kind.defaultMessage : message)
    }

    /// The taxonomy kind for an HTTP (or body) code, a status name, a message and detail reasons.
    static func kind(code: Int?, statusName: String?, message: String, reasons: [String]) -> ErrorKind {
        guard let code = code ?? statusName.flatMap(GeminiErrorStatus.init(rawValue:))?.code else { return .serverError }
        switch code {
        case 401, 403: return .auth
        case 404: return .notFound
        case 408: return .timeout
        case 429: return .rateLimit
        case 502: return .connection
        case 503: return .overloaded
        case 504: return .timeout
        case 400..<500: return refinedKind(message: message, reasons: reasons) ?? .badRequest
        default: return .serverError
        }
    }

    /// What a 4xx says beyond "bad request": Gemini reports a bad API key as a 400, and the token
    /// limit and turn-order rules only in the message.
    static func refinedKind(message: String, reasons: [String]) -> ErrorKind? {
        let text = message.lowercased()
        let auth = ["api key not valid", "api key expired", "api_key_invalid"]
        let prefill = ["assistant message prefill", "must end with a user message", "ends with a user role", "end with a user role"]
        let context = ["input token count", "exceeds the maximum number of tokens", "context window", "context length", "maximum context"]
        let policy = ["safety", "content policy", "prohibited content"]
        if reasons.contains("API_KEY_INVALID") || auth.contains(where: text.contains) { return .auth }
        if prefill.contains(where: text.contains) { return .prefillRejected }
        if context.contains(where: text.contains) { return .contextWindow }
        if policy.contains(where: text.contains) { return .contentPolicy }
        return nil
    }

    /// The message Gemini itself sends for a kind, used when a fault gives none.
    static func providerMessage(for kind: ErrorKind) -> String {
        switch kind {
        case .rateLimit:
            return "You exceeded your current quota, please check your plan and billing details. "
                + "For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
        case .overloaded: return "The model is overloaded. Please try again later."
        case .serverError:
            return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
        case .timeout: return "Deadline expired before operation could complete."
        case .contextWindow: return "The input token count (1250000) exceeds the maximum number of tokens allowed (1048576)."
        case .contentPolicy: return "The request was blocked because it violates the safety policy."
        case .auth: return "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."
        case .badRequest: return "Invalid JSON payload received. Unknown name \"foo\": Cannot find field."
        case .notFound: return "Requested entity was not found."
        case .prefillRejected: return "Please ensure that multiturn requests ends with a user role or a function response."
        case .connection: return "Bad Gateway"
        case .malformed: return kind.defaultMessage
        }
    }
}
