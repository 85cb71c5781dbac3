import Cassettes
import Dialects
import Foundation
import SSE

/// A recorded interaction prepared for replay: its dialect, what it asked, and what it answered.
public struct Recording: Sendable {
    public let interaction: Interaction
    public let dialect: Dialect
    /// The endpoint without provider prefix or query, e.g. `/v1/chat/completions`.
    public let endpoint: String
    public let view: RequestView
    public let fingerprint: String
    public let canonicalBody: JSONValue?
    /// What a client of the recording's own dialect got.
    public let outcome: Outcome

    public var id: String { interaction.id }
    public var isSuccess: Bool { outcome.isSuccess }

    init?(_ interaction: Interaction) {
        guard let dialect = interaction.dialect ?? Dialect.detect(path: interaction.endpoint) else { return nil }
        let codec = dialect.codec
        let body = (try? JSONValue.parse(interaction.request.body)) ?? .object([:])
        self.interaction = interaction
        self.dialect = dialect
        self.endpoint = EndpointPath.normalize(interaction.request.target)
        self.view = codec.requestView(body: body, path: interaction.request.target)
        self.canonicalBody = RequestCanonicalizer().body(body)
        self.fingerprint = RequestKey.fingerprint(endpoint: endpoint, model: view.model ?? interaction.model, body: interaction.request.body)
        switch interaction.content {
        case .frames(let frames):
            let parsed = SSEParser.parse(frames.flatMap(\.bytes))
            if let status = interaction.status, !(200..<300).contains(status) {
                self.outcome = codec.outcome(fromBody: frames.flatMap(\.bytes), status: status)
            } else {
                self.outcome = codec.outcome(fromFrames: parsed)
            }
        case .body(let bytes):
            self.outcome = codec.outcome(fromBody: bytes, status: interaction.status)
        }
    }
}

/// Every recording of a cassette, loaded once for replay.
public struct RecordingLibrary: Sendable {
    public let recordings: [Recording]
    /// Interactions that cannot be replayed, with the reason (unknown endpoint, interrupted).
    public let skipped: [String]

    public init(interactions: [Interaction]) {
        var recordings: [Recording] = []
        var skipped: [String] = []
        for interaction in interactions {
            // Only a request and perhaps a head: the answer never finished recording, so it is no answer to serve.
            if interaction.ending == .interrupted {
                skipped.append("interaction \(interaction.id) was interrupted by a crash of the recorder")
            } else if let recording = Recording(interaction) {
                recordings.append(recording)
            } else {
                skipped.append("interaction \(interaction.id) (\(interaction.endpoint)) is not in a dialect Tapedeck replays")
            }
        }
        self.recordings = recordings
        self.skipped = skipped
    }

    /// Loads a SQLite cassette, or a JSONL / HAR / vcrpy file (read in memory, never written).
    public static func load(path: String) throws -> RecordingLibrary {
        if ImportFormat(path: path) != nil {
            return RecordingLibrary(interactions: try CassetteImporter.read(file: path).interactions)
        }
        let store = try CassetteStore(path: path, mode: .readOnly)
        defer { try? store.close() }
        return RecordingLibrary(interactions: try store.interactions())
    }

    /// The distinct upstream models recorded, sorted.
    public var models: [String] {
        Array(Set(recordings.compactMap { $0.view.model })).sorted()
    }
}

/// Request paths as providers see them, whatever prefix a gateway or `--upstream` added.
public enum EndpointPath {
    static let providerPrefixes = ["/openai", "/anthropic", "/gemini"]

    /// `/openai/v1/chat/completions?x=1` → `/v1/chat/completions`; `/chat/completions` → `/v1/chat/completions`;
    /// Gemini's stream method is named as its non-stream twin.
    public static func normalize(_ target: String) -> String {
        var path = String(target.prefix { $0 != "?" })
        for prefix in providerPrefixes where path.hasPrefix(prefix + "/") {
            path.removeFirst(prefix.count)
            break
        }
        if let range = path.range(of: "/v1beta/") ?? path.range(of: "/v1/") {
            path = String(path[range.lowerBound...])
        } else {
            path = "/v1" + (path.hasPrefix("/") ? path : "/" + path)
        }
        return path.replacingOccurrences(of: ":streamGenerateContent", with: ":generateContent")
    }

    /// The provider prefix a request came in under (`openai`, `anthropic`, `gemini`), if any.
    public static func provider(of target: String) -> String? {
        providerPrefixes.first { target.hasPrefix($0 + "/") }.map { String($0.dropFirst()) }
    }
}

/// The identity a replayed request is matched by.
enum RequestKey {
    static func fingerprint(endpoint: String, model: String?, body: [UInt8]) -> String {
        RequestFingerprint.compute(method: "POST", endpoint: endpoint, model: model, body: body)
    }
}
