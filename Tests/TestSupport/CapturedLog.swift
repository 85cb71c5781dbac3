import Foundation
import Logging

/// Keeps every log line a logger emits, message and metadata, so tests can scan logs for secrets.
public final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    public init() {}

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

    func append(_ line: String) { lock.withLock { lines.append(line) } }
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
