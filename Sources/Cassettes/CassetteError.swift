/// Everything that can go wrong with a cassette, each told as one sentence naming the file,
/// line or interaction at fault. Messages never include header values or bodies.
public enum CassetteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No file where a cassette was expected.
    case notFound(path: String)
    /// The file exists but is not a Tapedeck cassette.
    case notACassette(path: String, reason: String)
    /// The file was written by a newer Tapedeck with a format this one does not know.
    case newerFormat(path: String, found: Int, supported: Int)
    /// SQLite or our own checks found damage.
    case corrupt(path: String, reason: String)
    /// An interaction's stored data could not be decoded.
    case unreadableInteraction(path: String, id: String, reason: String)
    /// No interaction has this id.
    case interactionNotFound(path: String, id: String)
    /// SQLite refused to open, read or write the file.
    case databaseFailed(path: String, reason: String)
    /// The writer's bounded queue was full, so an interaction was dropped.
    case queueFull(path: String, capacity: Int, id: String)
    /// The writer was closed before this interaction was enqueued.
    case writerClosed(path: String, id: String)
    /// A file being imported is malformed; `line` is 1-based when the format has lines.
    case importFailed(file: String, line: Int?, reason: String)
    /// The import file's extension names no known format.
    case unknownImportFormat(file: String)
    /// `verify` found problems; `first` describes one, `count` says how many in all.
    case verificationFailed(path: String, first: String, count: Int)
    /// An output file could not be written.
    case outputFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "\(path): no cassette exists at this path."
        case .notACassette(let path, let reason):
            return "\(path) is not a Tapedeck cassette: \(reason)."
        case .newerFormat(let path, let found, let supported):
            return "\(path) has cassette format version \(found), newer than the version \(supported) this tapedeck reads; upgrade tapedeck to open it."
        case .corrupt(let path, let reason):
            return "\(path) is corrupt: \(reason)."
        case .unreadableInteraction(let path, let id, let reason):
            return "\(path): interaction \(id) cannot be read: \(reason)."
        case .interactionNotFound(let path, let id):
            return "\(path) has no interaction with id \(id)."
        case .databaseFailed(let path, let reason):
            return "\(path): the database failed: \(reason)."
        case .queueFull(let path, let capacity, let id):
            return "\(path): the write queue is full (\(capacity) interactions waiting), so interaction \(id) was dropped."
        case .writerClosed(let path, let id):
            return "\(path): the writer is closed, so interaction \(id) was dropped."
        case .importFailed(let file, let line, let reason):
            if let line { return "\(file) line \(line): \(reason)." }
            return "\(file): \(reason)."
        case .unknownImportFormat(let file):
            return "\(file): unknown import format; use a .jsonl, .har, .yaml or .yml file."
        case .verificationFailed(let path, let first, let count):
            let others = count > 1 ? " (and \(count - 1) more problem\(count > 2 ? "s" : ""))" : ""
            return "\(path) failed verification: \(first)\(others)."
        case .outputFailed(let file, let reason):
            return "\(file): cannot write the output: \(reason)."
        }
    }
}
