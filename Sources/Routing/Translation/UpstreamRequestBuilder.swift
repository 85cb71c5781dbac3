import Dialects

/// Builds the request for a deployment from a client's request: the same dialect is passed through
/// (model replaced, routing fields removed, stream flag set), another dialect is rebuilt from the
/// neutral form; a continuation is then added by the target dialect's codec.
struct UpstreamRequestBuilder: Sendable {
    let clientDialect: Dialect
    /// The client's body as parsed (an object).
    let clientBody: JSONValue
    let neutral: NeutralRequest
    let stream: Bool
    /// `x-tapedeck-*` headers of the client request, sent on to every attempt.
    let forwardedHeaders: [HTTPField]

    init(clientDialect: Dialect, clientBody: JSONValue, stream: Bool, clientHeaders: [HTTPField]) {
        self.clientDialect = clientDialect
        self.clientBody = clientBody
        self.neutral = NeutralRequest.parse(clientBody, dialect: clientDialect)
        self.stream = stream
        self.forwardedHeaders = clientHeaders.filter { $0.name.lowercased().hasPrefix("x-tapedeck-") }
    }

    /// The wire format a deployment is spoken to in: OpenAI deployments get Responses requests
    /// from Responses clients (as LiteLLM forwards them) and Chat Completions otherwise.
    static func dialect(for provider: Provider, client: Dialect) -> Dialect {
        switch provider {
        case .openai: return client == .openAIResponses ? .openAIResponses : .openAIChat
        case .anthropic: return .anthropicMessages
        case .gemini: return .gemini
        }
    }

    /// The request for one attempt. `deliveredText` is what the client already has; it is only
    /// used for the prefill and user-message continuations.
    func request(for deployment: Deployment, continuation: AttemptContinuation?, deliveredText: String) -> UpstreamRequest {
        let dialect = Self.dialect(for: deployment.provider, client: clientDialect)
        var body = baseBody(dialect: dialect, model: deployment.model)
        switch continuation {
        case .prefill?:
            body = dialect.codec.continuationRequest(original: body, partialText: deliveredText, style: .prefill)
        case .userMessage?:
            body = dialect.codec.continuationRequest(original: body, partialText: deliveredText, style: .userMessage)
        case .restart?, nil:
            break
        }
        return UpstreamRequest(
            deploymentID: deployment.id, provider: deployment.provider, dialect: dialect,
            url: Self.url(for: deployment, dialect: dialect, stream: stream),
            headers: Self.headers(for: deployment, stream: stream) + forwardedHeaders,
            body: JSONWriter.bytes(body), stream: stream)
    }

    private func baseBody(dialect: Dialect, model: String) -> JSONValue {
        guard dialect == clientDialect, case .object(var fields) = clientBody else {
            return neutral.body(for: dialect, model: model, stream: stream)
        }
        for name in RequestRoutingFields.fieldNames { fields[name] = nil }
        fields["model"] = .string(model)
        fields["stream"] = .bool(stream)
        if dialect == .openAIChat && stream {
            // Usage only arrives in a stream that asks for it, and the router always counts usage.
            var options = fields["stream_options"]?.objectValue ?? [:]
            options["include_usage"] = true
            fields["stream_options"] = .object(options)
        }
        return .object(fields)
    }

    static func url(for deployment: Deployment, dialect: Dialect, stream: Bool) -> String {
        func base(_ fallback: String) -> String {
            var base = deployment.apiBase ?? fallback
            while base.hasSuffix("/") { base.removeLast() }
            return base
        }
        switch dialect {
        case .openAIChat:
            return base("https://api.openai.com/v1") + "/chat/completions"
        case .openAIResponses:
            return base("https://api.openai.com/v1") + "/responses"
        case .anthropicMessages:
            let root = base("https://api.anthropic.com")
            if root.hasSuffix("/v1/messages") { return root }
            return root.hasSuffix("/v1") ? root + "/messages" : root + "/v1/messages"
        case .gemini:
            var root = base("https://generativelanguage.googleapis.com")
            if !root.hasSuffix("/v1beta") && !root.hasSuffix("/v1") { root += "/v1beta" }
            let method = stream ? "streamGenerateContent?alt=sse" : "generateContent"
            return "\(root)/models/\(deployment.model):\(method)"
        }
    }

    static func headers(for deployment: Deployment, stream: Bool) -> [HTTPField] {
        var headers = [HTTPField("content-type", "application/json")]
        if stream { headers.append(HTTPField("accept", "text/event-stream")) }
        switch deployment.provider {
        case .openai:
            if let key = deployment.apiKey { headers.append(HTTPField("authorization", "Bearer \(key)")) }
        case .anthropic:
            if let key = deployment.apiKey { headers.append(HTTPField("x-api-key", key)) }
            headers.append(HTTPField("anthropic-version", "2023-06-01"))
        case .gemini:
            if let key = deployment.apiKey { headers.append(HTTPField("x-goog-api-key", key)) }
        }
        return headers
    }
}
