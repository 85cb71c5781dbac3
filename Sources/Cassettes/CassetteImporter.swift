import Foundation

/// The formats `tapedeck cassette import` reads, told apart by file extension.
public enum ImportFormat: String, Sendable, CaseIterable {
    case jsonl
    case har
    case vcrYAML = "yaml"

    /// The format a file's extension names (`.jsonl`, `.har`, `.yaml`, `.yml`), if any.
    public init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "jsonl": self = .jsonl
        case "har": self = .har
        case "yaml", "yml": self = .vcrYAML
        default: return nil
        }
    }
}

/// What an import did.
public struct ImportSummary: Sendable, Hashable {
    /// Interactions read from the file.
    public var read: Int
    /// Of those, how many were new to the cassette (the rest had ids already present).
    public var inserted: Int
    /// One sentence per entry of the file that was not imported, and why.
    public var skipped: [String]

    public init(read: Int, inserted: Int, skipped: [String]) {
        self.read = read
        self.inserted = inserted
        self.skipped = skipped
    }
}

/// Reads JSONL, HAR and vcrpy files into interactions and stores them.
public enum CassetteImporter {
    /// The interactions a file holds, and sentences for entries skipped.
    public static func read(file: String, format: ImportFormat? = nil, options: ImportOptions = ImportOptions()) throws
        -> (interactions: [Interaction], skipped: [String])
    {
        guard let format = format ?? ImportFormat(path: file) else { throw CassetteError.unknownImportFormat(file: file) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw CassetteError.importFailed(file: file, line: nil, reason: "the file cannot be read")
        }
        switch format {
        case .jsonl:
            var interactions = try JSONLFormat.interactions(from: data, file: file)
            if !options.tags.isEmpty || options.sessionID != nil {
                for index in interactions.indices {
                    interactions[index].tags += options.tags.filter { !interactions[index].tags.contains($0) }
                    if interactions[index].sessionID == nil { interactions[index].sessionID = options.sessionID }
                }
            }
            return (interactions, [])
        case .har:
            return try HARFormat.interactions(from: data, file: file, options: options)
        case .vcrYAML:
            guard let text = UTF8Text.string(Array(data)) else {
                throw CassetteError.importFailed(file: file, line: nil, reason: "the file is not UTF-8 text")
            }
            return try VCRFormat.interactions(from: text, file: file, options: options)
        }
    }

    /// Reads a file and inserts its interactions (redacted) into the cassette in one transaction.
    public static func importFile(
        _ file: String, into store: CassetteStore, format: ImportFormat? = nil, options: ImportOptions = ImportOptions(),
        redactor: Redactor = .standard
    ) throws -> ImportSummary {
        let (interactions, skipped) = try read(file: file, format: format, options: options)
        let inserted = try store.insert(interactions, redactor: redactor)
        return ImportSummary(read: interactions.count, inserted: inserted, skipped: skipped)
    }
}

/// Writes cassettes out as JSONL or HAR.
public enum CassetteExporter {
    /// Export formats.
    public enum Format: String, Sendable, CaseIterable {
        case jsonl, har
    }

    /// Writes the matching interactions as JSONL, one line at a time, to `write`.
    public static func writeJSONL(
        from store: CassetteStore, matching filter: InteractionFilter = .all, to write: (Data) throws -> Void
    ) throws {
        try store.forEachInteraction(matching: filter) { interaction in
            try write(Data((JSONLFormat.line(for: interaction) + "\n").utf8))
        }
    }

    /// The matching interactions as one HAR document.
    public static func har(from store: CassetteStore, matching filter: InteractionFilter = .all) throws -> Data {
        try HARFormat.document(store.interactions(matching: filter))
    }
}
