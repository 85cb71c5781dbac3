import Foundation

/// A long-running `tapedeck` server (`serve`, `route`, `record`), read until it prints the loopback
/// address it listens on, then stopped with SIGTERM.
///
/// Its output is read by two plain threads rather than `FileHandle.readabilityHandler`, whose
/// dispatch sources have crashed the test process on Linux when servers start and stop in parallel.
final class ServerProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""
    private let announced = DispatchSemaphore(value: 0)
    private let readersDone = DispatchGroup()

    init(_ arguments: [String]) throws {
        process.executableURL = TapedeckProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = Fixtures.root.deletingLastPathComponent()
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        read(out.fileHandleForReading) { [self] text in
            let found: Bool = lock.withLock {
                let before = Self.port(in: stdoutText) != nil
                stdoutText += text
                return !before && Self.port(in: stdoutText) != nil
            }
            if found { announced.signal() }
        }
        read(err.fileHandleForReading) { [self] text in lock.withLock { stderrText += text } }
    }

    /// Reads `handle` to its end on a thread of its own, handing each piece to `take`.
    private func read(_ handle: FileHandle, _ take: @escaping @Sendable (String) -> Void) {
        readersDone.enter()
        let done = readersDone
        Thread {
            // `availableData` returns whatever arrived (empty at the end); `read(upToCount:)` would
            // wait for the whole count.
            while case let data = handle.availableData, !data.isEmpty {
                take(String(decoding: data, as: UTF8.self))
            }
            done.leave()
        }.start()
    }

    private static func port(in text: String) -> Int? {
        guard let range = text.range(of: #"127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { return nil }
        return Int(text[range].split(separator: ":").last ?? "")
    }

    /// The port it listens on, once it says so (nil if it does not within 30 s).
    func port() -> Int? {
        guard announced.wait(timeout: .now() + 30) == .success else { return nil }
        return lock.withLock { Self.port(in: stdoutText) }
    }

    /// What it wrote to stderr so far (all of it once `stop()` returned).
    var stderr: String { lock.withLock { stderrText } }
    var isRunning: Bool { process.isRunning }

    /// Sends SIGTERM, waits for the exit and for the rest of its output; returns the exit status.
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        _ = readersDone.wait(timeout: .now() + 10)
        return process.terminationStatus
    }
}
