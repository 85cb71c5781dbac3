import Cassettes
import Dialects

/// How a request was matched to a recording.
public enum MatchKind: String, Codable, Sendable, Hashable {
    /// Same endpoint, model and canonical body.
    case exact
    /// Same model; the recorded conversation is a prefix of the request's.
    case loose
    /// Nothing recorded answers it.
    case miss
}

/// A request as the matcher sees it.
public struct IncomingRequest: Sendable {
    public var dialect: Dialect
    public var endpoint: String
    public var view: RequestView
    public var fingerprint: String
    /// For OpenAI Chat streams: whether the client asked for the usage chunk
    /// (`stream_options.include_usage`); OpenAI sends it only then.
    public var wantsUsageChunk: Bool

    public init(dialect: Dialect, target: String, body: [UInt8]) {
        let json = (try? JSONValue.parse(body)) ?? .object([:])
        self.wantsUsageChunk = json["stream_options"]?["include_usage"]?.boolValue == true
        self.dialect = dialect
        self.endpoint = EndpointPath.normalize(target)
        self.view = dialect.codec.requestView(body: json, path: target)
        self.fingerprint = RequestKey.fingerprint(endpoint: endpoint, model: view.model, body: body)
    }
}

/// A continuation a request carried beyond the recorded conversation: the partial answer it asks
/// the model to continue, and how.
public struct DetectedContinuation: Codable, Sendable, Hashable {
    /// `prefill` (the request ends with the assistant turn) or `user_message` (a turn follows it).
    public var style: ContinuationStyle
    public var text: String
}

/// The matcher's answer for one request.
public struct Match: Sendable {
    public var kind: MatchKind
    public var recording: Recording?
    public var continuation: DetectedContinuation?
    /// For a continuation whose text begins the recorded answer: what is left of that answer.
    public var remainder: String?
    /// For a miss: which recording was nearest and what differs, in one sentence.
    public var explanation: String?
}

/// Finds the recording that answers a request: exact first, then loose (conversation prefix,
/// continuation-aware), else a miss explained by the nearest recording. Identical requests get
/// identical recordings in recorded order, then the last one again.
public struct RecordingMatcher: Sendable {
    public let library: RecordingLibrary
    private var served: [String: Int] = [:]

    public init(library: RecordingLibrary) {
        self.library = library
    }

    /// Forgets how many times each request was served.
    public mutating func reset() { served = [:] }

    public mutating func match(_ request: IncomingRequest) -> Match {
        let exact = library.recordings.filter { $0.fingerprint == request.fingerprint }
        if !exact.isEmpty {
            let sameMode = exact.filter { $0.interaction.stream == request.view.stream }
            let candidates = sameMode.isEmpty ? exact : sameMode
            let key = request.fingerprint + (request.view.stream ? "/s" : "/n")
            let index = min(served[key, default: 0], candidates.count - 1)
            served[key, default: 0] += 1
            return Match(kind: .exact, recording: candidates[index])
        }
        if let loose = looseMatch(request) { return loose }
        return Match(kind: .miss, explanation: MissExplainer.explain(request, library: library))
    }

    private func looseMatch(_ request: IncomingRequest) -> Match? {
        let turns = request.view.turns.map(Turn.init)
        let candidates = library.recordings.filter { recording in
            ModelName.same(recording.view.model, request.view.model)
                && recording.view.turns.count <= turns.count
                && zip(recording.view.turns.map(Turn.init), turns).allSatisfy { $0.isAnswered(by: $1) }
        }
        // The first recording wins ties, so recorded order decides between equals.
        guard let best = candidates.reduce(nil as Recording?, { best, next in
            guard let best else { return next }
            return rank(best, request).lexicographicallyPrecedes(rank(next, request)) ? next : best
        }) else { return nil }
        let extra = Array(request.view.turns.dropFirst(best.view.turns.count))
        let continuation = Self.continuation(in: extra)
        var remainder: String?
        if let continuation, !continuation.text.isEmpty, best.outcome.text.hasPrefix(continuation.text) {
            remainder = String(best.outcome.text.dropFirst(continuation.text.count))
        }
        return Match(kind: .loose, recording: best, continuation: continuation, remainder: remainder)
    }

    /// Longer recorded conversations first, then successful, same dialect, same mode.
    private func rank(_ recording: Recording, _ request: IncomingRequest) -> [Int] {
        [recording.view.turns.count, recording.isSuccess ? 1 : 0, recording.dialect == request.dialect ? 1 : 0,
         recording.interaction.stream == request.view.stream ? 1 : 0]
    }

    /// The continuation carried by turns added after a recorded conversation: an assistant turn
    /// last (prefill), or an assistant turn followed by an instruction (user message).
    public static func continuation(in extra: [ChatTurn]) -> DetectedContinuation? {
        guard let last = extra.last else { return nil }
        if last.role == "assistant" { return DetectedContinuation(style: .prefill, text: last.text) }
        if extra.count >= 2, extra[extra.count - 2].role == "assistant" {
            return DetectedContinuation(style: .userMessage, text: extra[extra.count - 2].text)
        }
        return nil
    }

    /// A turn compared by role and trimmed text.
    private struct Turn: Equatable {
        var role: String
        var text: Substring
        init(_ turn: ChatTurn) {
            role = turn.role
            text = turn.text.trimmingWhitespace()
        }

        /// Whether a recorded turn stands for the request's turn: the same turn, or a system
        /// prompt the request extended. Gateways continuing a stream add their instruction to the
        /// system prompt where a dialect allows only one (LiteLLM does for Anthropic).
        func isAnswered(by asked: Turn) -> Bool {
            self == asked || (role == "system" && asked.role == "system" && asked.text.hasPrefix(text))
        }
    }
}

/// Model names compared across providers' spellings (`anthropic/claude-x` and `claude-x`).
public enum ModelName {
    public static func bare(_ name: String?) -> String? {
        name.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
    }

    public static func same(_ a: String?, _ b: String?) -> Bool {
        guard let a = bare(a), let b = bare(b) else { return false }
        return a == b
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[start...end]
    }
}
