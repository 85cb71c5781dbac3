import Dialects
import Foundation

/// Which interactions a query returns; nil fields match everything.
public struct InteractionFilter: Sendable, Hashable {
    /// A model name, or a glob (`gpt-4o*`), compared case-sensitively.
    public var model: String?
    public var provider: String?
    public var ending: Ending?
    public var tag: String?
    /// Only interactions recorded at or after this time.
    public var since: Date?
    public var sessionID: String?
    public var fingerprint: String?
    /// At most this many, oldest first.
    public var limit: Int?

    public init(
        model: String? = nil, provider: String? = nil, ending: Ending? = nil, tag: String? = nil, since: Date? = nil,
        sessionID: String? = nil, fingerprint: String? = nil, limit: Int? = nil
    ) {
        self.model = model
        self.provider = provider
        self.ending = ending
        self.tag = tag
        self.since = since
        self.sessionID = sessionID
        self.fingerprint = fingerprint
        self.limit = limit
    }

    /// Everything.
    public static let all = InteractionFilter()

    /// The WHERE clause (without the keyword, "1" when empty) and its arguments.
    var sqlCondition: (String, [String]) {
        var clauses: [String] = []
        var arguments: [String] = []
        if let model {
            clauses.append("model GLOB ?")
            arguments.append(model)
        }
        if let provider {
            clauses.append("provider = ?")
            arguments.append(provider)
        }
        if let ending {
            clauses.append("ending = ?")
            arguments.append(ending.rawValue)
        }
        if let tag {
            // `open_tags` is the JSON tag list of a row left open (NULL for finished ones).
            clauses.append(
                "(id IN (SELECT interaction_id FROM interaction_tag WHERE tag = ?) OR instr(coalesce(open_tags, ''), ?) > 0)")
            arguments.append(tag)
            arguments.append(TagCoding.element(tag))
        }
        if let since {
            clauses.append("recorded_at >= CAST(? AS INTEGER)")
            arguments.append(String(Timestamp.micros(since)))
        }
        if let sessionID {
            clauses.append("session_id = ?")
            arguments.append(sessionID)
        }
        if let fingerprint {
            clauses.append("fingerprint = ?")
            arguments.append(fingerprint)
        }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), arguments)
    }
}

/// An interaction's indexed metadata, without its bodies: what listings show.
public struct InteractionSummary: Sendable, Hashable {
    public var id: String
    public var recordedAt: Date
    public var dialect: Dialect?
    public var provider: String
    public var endpoint: String
    public var method: String
    public var model: String?
    public var stream: Bool
    public var status: Int?
    public var ending: Ending
    public var sessionID: String?
    public var tags: [String]
    public var fingerprint: String
    public var durationMicros: Int64?
    public var frameCount: Int
    public var requestBytes: Int
    public var responseBytes: Int
    public var storedBytes: Int
}

/// Totals over a cassette.
public struct CassetteStats: Sendable, Hashable {
    public var interactions: Int
    public var frames: Int
    /// Request and response bytes before compression.
    public var rawBytes: Int
    /// The same bytes as stored (compressed blobs).
    public var storedBytes: Int
    /// Response bytes alone (stream frames and bodies) before compression…
    public var responseRawBytes: Int
    /// …and as stored.
    public var responseStoredBytes: Int
    /// Interaction counts per ending, provider and model (nil model counted under "").
    public var byEnding: [Ending: Int]
    public var byProvider: [String: Int]
    public var byModel: [String: Int]
    /// The size of the database file and its WAL, in bytes.
    public var fileBytes: Int
}

/// What `verify` found.
public struct VerificationReport: Sendable, Hashable {
    public var interactions: Int
    public var frames: Int
    /// One sentence per problem, each naming the interaction (the first `problemLimit` only).
    public var problems: [String]
    /// How many problems were found in all.
    public var problemCount: Int
    /// Interactions a recorder left open when it died (ending `interrupted`): facts, not problems.
    public var interrupted = 0

    /// Problems kept as sentences; a badly damaged file reports a count for the rest.
    public static let problemLimit = 100

    public var isValid: Bool { problemCount == 0 }

    mutating func add(_ problem: String) {
        problemCount += 1
        if problems.count < Self.problemLimit { problems.append(problem) }
    }
}
