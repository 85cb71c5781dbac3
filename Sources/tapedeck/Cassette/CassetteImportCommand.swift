import ArgumentParser
import Cassettes
import Dialects
import Foundation

/// `tapedeck cassette import FILE --into CASSETTE`.
struct CassetteImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a JSONL, HAR or vcrpy YAML file into a cassette (created if absent).",
        discussion: "The format comes from the extension: .jsonl, .har, .yaml or .yml. Everything is redacted before it is stored; interactions whose id is already in the cassette are skipped."
    )

    @Argument(help: "The file to import.")
    var file: String

    @Option(help: "The cassette to import into.")
    var into: String

    @Option(name: .customLong("tag"), help: "A tag to add to every imported interaction (repeatable).")
    var tags: [String] = []

    @Option(help: "A session or incident id for imported interactions that have none.")
    var session: String?

    @Option(name: .customLong("redact-path"), help: "A dotted JSON path in request bodies to redact, e.g. metadata.api_key (repeatable).")
    var redactPaths: [String] = []

    func validate() throws {
        if ImportFormat(path: file) == nil { throw CassetteError.unknownImportFormat(file: file) }
    }

    func run() throws {
        let options = ImportOptions(
            tags: tags, sessionID: session,
            isTerminator: { dialect, event in dialect.codec.isTerminator(event) })
        // Read the whole file first, so a malformed file leaves no empty cassette behind.
        let (interactions, skipped) = try CassetteImporter.read(file: file, options: options)
        let store = try CassetteStore(path: into, mode: .createIfMissing)
        let inserted = try store.insert(interactions, redactor: Redactor(bodyPaths: redactPaths))
        try store.checkpoint()
        let summary = ImportSummary(read: interactions.count, inserted: inserted, skipped: skipped)
        let present = summary.read - summary.inserted
        print("Imported \(summary.inserted) of \(summary.read) interactions from \(file) into \(into)"
              + (present > 0 ? " (\(present) already present)." : "."))
        for reason in summary.skipped { print("  skipped: \(reason)") }
    }
}
