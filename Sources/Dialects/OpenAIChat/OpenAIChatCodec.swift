import SSE

// Placeholder so the package builds while this dialect is written; replaced by the real codec.
public struct OpenAIChatCodec: DialectCodec {
    public init() {}
    public var dialect: Dialect { .openAIChat }
    public var encoder: SSEEncoder { SSEEncoder() }
    public func requestView(body: JSONValue, path: String) -> RequestView { fatalError("unimplemented") }
    public func makeAccumulator() -> any StreamAccumulator { fatalError("unimplemented") }
    public func outcome(fromBody body: [UInt8], status: Int?) -> Outcome { fatalError("unimplemented") }
    public func isTerminator(_ event: SSEEvent) -> Bool { fatalError("unimplemented") }
    public func body(for outcome: Outcome) -> JSONValue { fatalError("unimplemented") }
    public func streamEvents(for outcome: Outcome) -> [SSEEvent] { fatalError("unimplemented") }
    public func classify(status: Int, body: [UInt8]) -> OutcomeError { fatalError("unimplemented") }
    public func classify(inBand event: SSEEvent) -> OutcomeError? { fatalError("unimplemented") }
    public func status(for kind: ErrorKind) -> Int { fatalError("unimplemented") }
    public func errorResponse(kind: ErrorKind, message: String?, retryAfter: Int?) -> ProviderErrorResponse { fatalError("unimplemented") }
    public func inBandErrorEvent(kind: ErrorKind, message: String?) -> SSEEvent { fatalError("unimplemented") }
    public func continuationRequest(original: JSONValue, partialText: String, style: ContinuationStyle) -> JSONValue { fatalError("unimplemented") }
}
