import Foundation

/// Runs the built `tapedeck` executable as a user would, capturing its output and exit status.
struct TapedeckProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `tapedeck` binary next to the test bundle in the build folder.
    static let executable: URL = {
        var folder = Bundle.main.bundleURL
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("tapedeck")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return Fixtures.root.deletingLastPathComponent().appendingPathComponent(".build/debug/tapedeck")
    }()

    static func run(_ arguments: [String], in directory: URL = Fixtures.root.deletingLastPathComponent()) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}
