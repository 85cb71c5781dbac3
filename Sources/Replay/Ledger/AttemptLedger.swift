import Dialects
import Foundation

/// One request the replay server saw, and what it did about it.
public struct LedgerEntry: Codable, Sendable, Hashable {
    /// The server's request id.
    public var id: Int
    /// Milliseconds from the server's start (or last ledger clear) to the request.
    public var startMilliseconds: Double
    /// Milliseconds from the server's start to the end of the response on the wire.
    public var endMilliseconds: Double?
    public var endpoint: String
    public var dialect: Dialect?
    public var model: String?
    public var stream: Bool
    public var match: MatchKind
    /// The recording served, when one was.
    public var interaction: String?
    /// For a miss, the nearest recording and what differs.
    public var explanation: String?
    /// The continuation the request carried beyond the recorded conversation, if any.
    public var continuation: DetectedContinuation?
    /// The fault applied (canonical spec), `rejects_prefill` for a capability refusal, nil when none.
    public var fault: String?
    public var status: Int?
    /// How the response ended on the wire; nil while it is still going.
    public var ending: Ending?
    /// The error kind the response carried (HTTP error, in-band event, refusal), if any.
    public var errorKind: ErrorKind?
    /// The model the response reported.
    public var reportedModel: String?
    public var framesSent: Int
    public var bytesSent: Int

    enum CodingKeys: String, CodingKey {
        case id, endpoint, dialect, model, stream, match, interaction, explanation, continuation, fault, status, ending
        case startMilliseconds = "start_ms"
        case endMilliseconds = "end_ms"
        case errorKind = "error_kind"
        case reportedModel = "reported_model"
        case framesSent = "frames_sent"
        case bytesSent = "bytes_sent"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(startMilliseconds, forKey: .startMilliseconds)
        try c.encode(endMilliseconds, forKey: .endMilliseconds)
        try c.encode(endpoint, forKey: .endpoint)
        try c.encode(dialect, forKey: .dialect)
        try c.encode(model, forKey: .model)
        try c.encode(stream, forKey: .stream)
        try c.encode(match, forKey: .match)
        try c.encode(interaction, forKey: .interaction)
        try c.encode(explanation, forKey: .explanation)
        try c.encode(continuation, forKey: .continuation)
        try c.encode(fault, forKey: .fault)
        try c.encode(status, forKey: .status)
        try c.encode(ending, forKey: .ending)
        try c.encode(errorKind, forKey: .errorKind)
        try c.encode(reportedModel, forKey: .reportedModel)
        try c.encode(framesSent, forKey: .framesSent)
        try c.encode(bytesSent, forKey: .bytesSent)
    }
}

/// Every attempt the replay server saw, in arrival order; readable while requests run.
public actor AttemptLedger {
    private var entries: [Int: LedgerEntry] = [:]
    private var order: [Int] = []

    public init() {}

    func open(_ entry: LedgerEntry) {
        if entries[entry.id] == nil { order.append(entry.id) }
        entries[entry.id] = entry
    }

    func update(_ id: Int, _ change: (inout LedgerEntry) -> Void) {
        guard var entry = entries[id] else { return }
        change(&entry)
        entries[id] = entry
    }

    /// All entries so far, oldest first.
    public func all() -> [LedgerEntry] { order.compactMap { entries[$0] } }

    /// Entries whose response has ended.
    public func finished() -> [LedgerEntry] { all().filter { $0.ending != nil } }

    /// Forgets every entry.
    public func clear() {
        entries = [:]
        order = []
    }

    /// `{"attempts": [...]}`, as `GET /_tapedeck/attempts` returns it.
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(["attempts": all()]))
    }
}
