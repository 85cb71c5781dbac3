import ArgumentParser
import Cassettes
import Foundation

/// `tapedeck cassette verify CASSETTE`.
struct CassetteVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a cassette: SQLite integrity, every blob decompresses, every frame list parses.",
        discussion: "Exits non-zero with one sentence naming the problem when the file is corrupt or truncated."
    )

    @Argument(help: "The cassette to check.")
    var cassette: String

    func run() throws {
        try requireFile(cassette)
        let store = try CassetteStore(path: cassette, mode: .readOnly)
        let report = try store.verify()
        guard let first = report.problems.first else {
            // Interrupted interactions are what a recorder that died left: reported, not an error.
            let interrupted = report.interrupted > 0
                ? " (\(report.interrupted) interrupted: the recorder died while they were under way)" : ""
            print("\(cassette): ok, \(report.interactions) interactions\(interrupted) and \(report.frames) frames verified.")
            return
        }
        throw CassetteError.verificationFailed(path: cassette, first: first, count: report.problemCount)
    }
}
