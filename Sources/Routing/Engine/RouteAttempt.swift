import Dialects
import Foundation

/// One attempt the router made for a request, as an upstream (or the cooldown book) saw it.
public struct RouteAttempt: Sendable, Hashable, Codable {
    /// Position in the request's attempts, from 0.
    public var index: Int
    public var group: String
    /// The deployment id; nil when every deployment of the group was cooling down.
    public var deployment: String?
    /// `provider/model` of the deployment.
    public var model: String?
    /// The model name the upstream reported in its answer, if it got that far.
    public var reportedModel: String?
    /// Microseconds from the start of the request, on the router's clock.
    public var startMicros: Int64
    public var endMicros: Int64
    /// The upstream's HTTP status, if a response head arrived.
    public var status: Int?
    /// Why the attempt failed; nil for the attempt that answered.
    public var error: OutcomeError?
    /// How the attempt's request continued content the client already had; nil for the original request.
    public var continuation: AttemptContinuation?
    /// Bytes received from the upstream.
    public var bytesReceived: Int
    /// UTF-8 bytes of text and tool-call content from this attempt that reached the client.
    public var bytesForwarded: Int
    /// What the upstream reported, partial for a failed stream.
    public var usage: Usage?
    /// What the router did next: `answered`, `retry`, `fallback`, `gave_up` or `client_gone`.
    public var next: String

    public init(
        index: Int, group: String, deployment: String?, model: String?, reportedModel: String? = nil,
        startMicros: Int64, endMicros: Int64,
        status: Int?, error: OutcomeError?, continuation: AttemptContinuation?, bytesReceived: Int,
        bytesForwarded: Int, usage: Usage?, next: String
    ) {
        self.index = index
        self.group = group
        self.deployment = deployment
        self.model = model
        self.reportedModel = reportedModel
        self.startMicros = startMicros
        self.endMicros = endMicros
        self.status = status
        self.error = error
        self.continuation = continuation
        self.bytesReceived = bytesReceived
        self.bytesForwarded = bytesForwarded
        self.usage = usage
        self.next = next
    }

    enum CodingKeys: String, CodingKey {
        case index, group, deployment, model
        case reportedModel = "reported_model"
        case startMicros = "start_us"
        case endMicros = "end_us"
        case status, error, continuation
        case bytesReceived = "bytes_received"
        case bytesForwarded = "bytes_forwarded"
        case usage, next
    }
}

extension RouteAttempt {
    /// The response header carrying a non-stream response's attempts.
    public static let headerName = "x-tapedeck-attempts"
    /// The SSE comment prefix of the line that ends a stream with its attempts.
    public static let commentPrefix = " tapedeck-attempts "

    /// The attempts as compact JSON, ASCII only (non-ASCII escaped), so the text is safe in an
    /// HTTP header value and on one SSE comment line.
    public static func json(_ attempts: [RouteAttempt]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(attempts) else { return "[]" }
        var ascii = ""
        ascii.reserveCapacity(data.count)
        for scalar in String(decoding: data, as: UTF8.self).unicodeScalars {
            if scalar.isASCII {
                ascii.unicodeScalars.append(scalar)
            } else {
                for unit in String(scalar).utf16 { ascii += String(format: "\\u%04x", unit) }
            }
        }
        return ascii
    }

    /// Reads attempts back from a header value or a comment's JSON.
    public static func decode(json: String) throws -> [RouteAttempt] {
        try JSONDecoder().decode([RouteAttempt].self, from: Data(json.utf8))
    }

    /// The attempts from a client stream's bytes: the last `: tapedeck-attempts` comment line.
    public static func fromStream(_ bytes: [UInt8]) -> [RouteAttempt]? {
        let text = String(decoding: bytes, as: UTF8.self)
        let marker = ":" + commentPrefix
        guard let range = text.range(of: marker, options: .backwards) else { return nil }
        let line = text[range.upperBound...].prefix { $0 != "\n" && $0 != "\r" }
        return try? decode(json: String(line))
    }
}
