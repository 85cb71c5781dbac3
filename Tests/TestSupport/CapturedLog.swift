import Foundation
import Logging

/// Keeps every log line a logger emits, message and metadata, so tests can scan logs for secrets.
///
/// When test artifacts are kept (`TAPEDECK_TEST_ARTIFACTS`), every line is also written to a file
/// under its `logs/` folder, so CI's secret scan reads the same lines.
public final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private let file: FileHandle?

    public init() {
        file = Self.openArtifactFile()
    }

    deinit { try? file?.close() }

    private static func openArtifactFile() -> FileHandle? {
        guard let root = ScratchDirectory.artifactsRoot else { return nil }
        let folder = root.appendingPathComponent("logs", isDirectory: true)
        let url = folder.appendingPathComponent("captured-\(UUID().uuidString).log")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { return nil }
        return try? FileHandle(forWritingTo: url)
    }

    /// Every line so far, joined with newlines.
    public var text: String { lock.withLock { lines.joined(separator: "\n") } }

    /// Every line so far.
    public var all: [String] { lock.withLock { lines } }

    /// A logger at trace level whose every line lands here.
    public var logger: Logger {
        var logger = Logger(label: "test") { _ in CapturingLogHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) {
        lock.withLock {
            lines.append(line)
            file?.write(Data((line + "\n").utf8))
        }
    }
}

/// The log handler behind `CapturedLog.logger`.
struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        log.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })")
    }
}
