import ArgumentParser
import Cassettes
import Dialects
import Foundation

/// `tapedeck cassette ls CASSETTE [filters] [--json]`.
struct CassetteListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the interactions of a cassette, oldest first."
    )

    @Argument(help: "The cassette to list.")
    var cassette: String

    @OptionGroup var filters: CassetteFilterOptions

    @Flag(help: "Print a JSON list of interactions instead of a table.")
    var json = false

    func run() throws {
        try requireFile(cassette)
        let store = try CassetteStore(path: cassette, mode: .readOnly)
        let summaries = try store.summaries(matching: filters.filter())
        if json {
            try CassetteOutput.printJSON(.array(summaries.map(Self.json)))
            return
        }
        var rows = [["ID", "RECORDED (UTC)", "PROVIDER", "MODEL", "STREAM", "STATUS", "ENDING", "FRAMES", "DURATION", "TAGS"]]
        for summary in summaries {
            rows.append([
                summary.id, String(Timestamp.format(summary.recordedAt).prefix(19)), summary.provider, summary.model ?? "-",
                summary.stream ? "yes" : "no", summary.status.map(String.init) ?? "-", summary.ending.rawValue,
                String(summary.frameCount), summary.durationMicros.map(CassetteOutput.millis) ?? "-",
                summary.tags.joined(separator: ","),
            ])
        }
        print(CassetteOutput.table(rows))
        print("\(summaries.count) interaction\(summaries.count == 1 ? "" : "s")")
    }

    /// The `--json` shape of one interaction.
    static func json(_ summary: InteractionSummary) -> JSONValue {
        [
            "id": .string(summary.id),
            "recorded_at": .string(Timestamp.format(summary.recordedAt)),
            "dialect": summary.dialect.map { .string($0.rawValue) } ?? .null,
            "provider": .string(summary.provider),
            "endpoint": .string(summary.endpoint),
            "method": .string(summary.method),
            "model": summary.model.map(JSONValue.string) ?? .null,
            "stream": .bool(summary.stream),
            "status": summary.status.map(JSONValue.int) ?? .null,
            "ending": .string(summary.ending.rawValue),
            "session_id": summary.sessionID.map(JSONValue.string) ?? .null,
            "tags": .array(summary.tags.map(JSONValue.string)),
            "fingerprint": .string(summary.fingerprint),
            "frames": .int(summary.frameCount),
            "duration_us": summary.durationMicros.map { .int(Int($0)) } ?? .null,
            "request_bytes": .int(summary.requestBytes),
            "response_bytes": .int(summary.responseBytes),
            "stored_bytes": .int(summary.storedBytes),
        ]
    }
}
