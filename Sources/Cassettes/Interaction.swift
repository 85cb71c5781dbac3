import Dialects
import Foundation

/// One recorded request and everything that came back for it: the unit a cassette stores.
public struct Interaction: Hashable, Sendable {
    /// Unique within a cassette; kept as given on import.
    public var id: String
    /// When the request started (wall clock), kept to the microsecond.
    public var recordedAt: Date
    /// The wire format, when the endpoint is one Tapedeck speaks.
    public var dialect: Dialect?
    /// Who served it: `openai`, `anthropic`, `gemini`, `azure`, a gateway name…
    public var provider: String
    /// The request path without its query, e.g. `/v1/chat/completions`.
    public var endpoint: String
    /// The model the request asked for (for Gemini, the one in the URL).
    public var model: String?
    /// Whether the client asked for a stream.
    public var stream: Bool
    public var request: RecordedRequest
    /// The status line and headers; nil when none arrived (reset or timeout before headers).
    public var response: ResponseHead?
    /// The body as frames with timing (streams) or as one block of bytes.
    public var content: ResponseContent
    public var ending: Ending
    /// Microseconds from the request start to the end of the response, when known.
    public var durationMicros: Int64?
    /// Groups the interactions of one client session or incident.
    public var sessionID: String?
    public var tags: [String]
    /// The request fingerprint (see `RequestFingerprint`), computed from the request as sent,
    /// before redaction, so a replayed request that carries the same secret still matches.
    public var fingerprint: String

    public init(
        id: String = UUID().uuidString.lowercased(),
        recordedAt: Date,
        dialect: Dialect?,
        provider: String,
        endpoint: String,
        model: String?,
        stream: Bool,
        request: RecordedRequest,
        response: ResponseHead?,
        content: ResponseContent,
        ending: Ending,
        durationMicros: Int64? = nil,
        sessionID: String? = nil,
        tags: [String] = [],
        fingerprint: String? = nil
    ) {
        self.id = id
        self.recordedAt = Timestamp.roundedToMicros(recordedAt)
        self.dialect = dialect
        self.provider = provider
        self.endpoint = endpoint
        self.model = model
        self.stream = stream
        self.request = request
        self.response = response
        self.content = content
        self.ending = ending
        self.durationMicros = durationMicros
        self.sessionID = sessionID
        self.tags = tags
        self.fingerprint = fingerprint ?? RequestFingerprint.compute(
            method: request.method, endpoint: endpoint, model: model, body: request.body)
    }

    /// The HTTP status, when a response head arrived.
    public var status: Int? { response?.status }

    /// Byte and frame counts of the raw (uncompressed) interaction.
    public var sizes: InteractionSizes {
        InteractionSizes(requestBytes: request.body.count, responseBytes: content.byteCount, frameCount: content.frameCount)
    }
}

/// The request half of an interaction, after redaction.
public struct RecordedRequest: Hashable, Sendable {
    public var method: String
    /// Path and query as sent, e.g. `/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`.
    public var target: String
    /// In the order sent; values of secret headers are replaced by `Redactor.marker`.
    public var headers: [HTTPField]
    public var body: [UInt8]

    public init(method: String, target: String, headers: [HTTPField], body: [UInt8]) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// The status line and headers of a response, and when they arrived.
public struct ResponseHead: Hashable, Sendable {
    public var status: Int
    public var headers: [HTTPField]
    /// Microseconds from the request start to the response head, when known.
    public var offsetMicros: Int64?

    public init(status: Int, headers: [HTTPField], offsetMicros: Int64? = nil) {
        self.status = status
        self.headers = headers
        self.offsetMicros = offsetMicros
    }
}

/// What the response carried after its head.
public enum ResponseContent: Hashable, Sendable {
    /// A stream, frame by frame, with offsets from the request start.
    case frames([Frame])
    /// A plain body (a non-stream answer, an error body), possibly empty.
    case body([UInt8])

    /// The number of raw bytes.
    public var byteCount: Int {
        switch self {
        case .frames(let frames): return frames.reduce(0) { $0 + $1.bytes.count }
        case .body(let body): return body.count
        }
    }

    /// The number of frames; a body counts as none.
    public var frameCount: Int {
        if case .frames(let frames) = self { return frames.count }
        return 0
    }

    /// The raw bytes as the client received them (frames concatenated).
    public var bytes: [UInt8] {
        switch self {
        case .frames(let frames):
            var all: [UInt8] = []
            all.reserveCapacity(byteCount)
            for frame in frames { all.append(contentsOf: frame.bytes) }
            return all
        case .body(let body): return body
        }
    }
}

/// Sizes of an interaction before compression.
public struct InteractionSizes: Hashable, Sendable {
    public var requestBytes: Int
    public var responseBytes: Int
    public var frameCount: Int
}
