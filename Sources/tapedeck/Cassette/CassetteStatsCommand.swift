import ArgumentParser
import Cassettes
import Dialects
import Foundation

/// `tapedeck cassette stats CASSETTE [--json]`.
struct CassetteStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count a cassette's interactions, frames and bytes, raw and stored."
    )

    @Argument(help: "The cassette to count.")
    var cassette: String

    @Flag(help: "Print {interactions, frames, raw_bytes, stored_bytes} as JSON.")
    var json = false

    func run() throws {
        try requireFile(cassette)
        let store = try CassetteStore(path: cassette, mode: .readOnly)
        let stats = try store.stats()
        if json {
            try CassetteOutput.printJSON([
                "interactions": .int(stats.interactions), "frames": .int(stats.frames),
                "raw_bytes": .int(stats.rawBytes), "stored_bytes": .int(stats.storedBytes),
            ])
            return
        }
        let ratio = stats.storedBytes > 0 ? String(format: "%.1fx", Double(stats.rawBytes) / Double(stats.storedBytes)) : "-"
        func counts<Key>(_ table: [Key: Int], _ name: (Key) -> String) -> String {
            table.map { (name($0.key), $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
                .map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        }
        print(CassetteOutput.table([
            ["cassette", cassette],
            ["interactions", String(stats.interactions)],
            ["frames", String(stats.frames)],
            ["raw bytes", CassetteOutput.bytes(stats.rawBytes)],
            ["stored bytes", "\(CassetteOutput.bytes(stats.storedBytes)) (\(ratio) smaller)"],
            ["file", CassetteOutput.bytes(stats.fileBytes)],
            ["endings", counts(stats.byEnding) { $0.rawValue }],
            ["providers", counts(stats.byProvider) { $0 }],
            ["models", counts(stats.byModel) { $0.isEmpty ? "-" : $0 }],
        ]))
    }
}
