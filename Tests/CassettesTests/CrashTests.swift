import Cassettes
import Foundation
import Testing

/// The `cassette-crash-writer` executable, built beside this test bundle.
private var crashWriterURL: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("cassette-crash-writer")
}

@Suite("Crash safety")
struct CrashTests {
    /// Starts a writer child, waits until it reports `wanted` committed interactions, kills it
    /// with SIGKILL while it is writing the next batch, and returns the ids it reported.
    static func runAndKill(cassette: String, prefix: String, wanted: Int) throws -> [String] {
        let child = Process()
        child.executableURL = crashWriterURL
        child.arguments = [cassette, prefix]
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        try child.run()
        // A safety net only: a hung child is killed so the test fails instead of hanging.
        let watchdog = DispatchWorkItem { kill(child.processIdentifier, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer { watchdog.cancel() }

        var committed: [String] = []
        var buffer = Data()
        let reader = output.fileHandleForReading
        while committed.count < wanted {
            let chunk = reader.availableData
            if chunk.isEmpty { break }  // the child died on its own
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if line.hasPrefix("committed ") { committed.append(String(line.dropFirst("committed ".count))) }
            }
        }
        // The child never pauses between batches, so this lands inside a transaction (or
        // between compressing and committing one) — the moments a crash must survive.
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal, "the child was not killed but exited")
        return committed
    }

    @Test("a writer killed with SIGKILL mid-write leaves a cassette that opens, verifies and holds every committed interaction")
    func killMidWrite() throws {
        guard FileManager.default.isExecutableFile(atPath: crashWriterURL.path) else {
            Issue.record("cassette-crash-writer is not built beside the tests at \(crashWriterURL.path)")
            return
        }
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let cassette = directory.path("crash.sqlite")
        var reported: [String] = []
        // Three lives on the same file: each reopens what the previous crash left behind.
        for round in 0..<3 {
            reported += try Self.runAndKill(cassette: cassette, prefix: "r\(round)", wanted: 200)
            #expect(FileManager.default.fileExists(atPath: cassette + "-wal"), "the kill left no WAL to recover")
        }
        #expect(reported.count >= 600)

        let store = try CassetteStore(path: cassette)
        let report = try store.verify()
        #expect(report.isValid, "\(report.problemCount) problems, e.g. \(report.problems.prefix(3))")
        let stored = Set(try store.summaries().map(\.id))
        let missing = reported.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) committed interactions lost, e.g. \(missing.prefix(3))")
        // Interactions beyond the reported ones may exist (committed after the last report),
        // but each is whole.
        for id in stored.subtracting(reported).prefix(20) {
            #expect(try store.interaction(id: id).content.frameCount == 61)
        }
    }
}
