import ArgumentParser
import Cassettes
import Foundation

/// `tapedeck cassette export CASSETTE --format jsonl|har [--out FILE]`.
struct CassetteExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a cassette out as JSONL (one interaction per line) or HAR 1.2."
    )

    @Argument(help: "The cassette to export.")
    var cassette: String

    @Option(help: "jsonl or har.")
    var format: String = "jsonl"

    @Option(help: "The file to write; standard output when absent.")
    var out: String?

    @OptionGroup var filters: CassetteFilterOptions

    func validate() throws {
        if CassetteExporter.Format(rawValue: format) == nil {
            throw ValidationError("--format '\(format)' is not jsonl or har.")
        }
    }

    func run() throws {
        try requireFile(cassette)
        let store = try CassetteStore(path: cassette, mode: .readOnly)
        let handle: FileHandle
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil),
                let opened = FileHandle(forWritingAtPath: out)
            else { throw CassetteError.outputFailed(file: out, reason: "the file cannot be created") }
            handle = opened
        } else {
            handle = FileHandle.standardOutput
        }
        defer { if out != nil { try? handle.close() } }
        switch CassetteExporter.Format(rawValue: format)! {
        case .jsonl:
            try CassetteExporter.writeJSONL(from: store, matching: filters.filter()) { handle.write($0) }
        case .har:
            handle.write(try CassetteExporter.har(from: store, matching: filters.filter()))
            handle.write(Data("\n".utf8))
        }
    }
}
