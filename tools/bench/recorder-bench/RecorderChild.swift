import Cassettes
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import Recorder

/// The recorder under test, run in its own process (`recorder-bench child URL CASSETTE`) so its
/// memory can be read alone and it competes for the CPU as a real proxy would.
enum RecorderChild {
    static func run(upstream: String, cassette: String, maxCapturedBytes: Int?) async throws {
        var logger = Logger(label: "bench.recorder")
        logger.logLevel = .warning
        var configuration = RecorderConfiguration(
            listenPort: 0, adminHost: nil, routes: try RouteTable([UpstreamRoute(parsing: upstream)]))
        if let maxCapturedBytes { configuration.maxCapturedBytes = maxCapturedBytes }
        let metrics = RecorderMetrics()
        // BENCH_NULL_SINK=1 keeps nothing: the relay's own cost, without the cassette's.
        let sink: any InteractionSink = ProcessInfo.processInfo.environment["BENCH_NULL_SINK"] == "1"
            ? NullSink() : CassetteSink(path: cassette, metrics: metrics, logger: logger)
        let threads = ProcessInfo.processInfo.environment["RECORDER_THREADS"].flatMap { Int($0) }
        let group: any EventLoopGroup = threads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) } ?? MultiThreadedEventLoopGroup.singleton
        let recorder = try await Recorder.bind(configuration: configuration, sink: sink, metrics: metrics, logger: logger, group: group)
        FileHandle.standardOutput.write(Data("PORT \(recorder.port)\n".utf8))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await recorder.run() }
            await waitForTermination()
            await recorder.shutdown(gracePeriod: .seconds(2))
        }
        let snapshot = metrics.snapshot()
        print("DONE interactions=\(snapshot.interactions.values.reduce(0, +)) dropped=\(snapshot.droppedWrites)")
    }

    private static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            signal(SIGTERM, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
            source.setEventHandler {
                source.cancel()
                continuation.resume()
            }
            source.resume()
        }
    }
}

/// A sink that drops every interaction.
struct NullSink: InteractionSink {
    func record(_ interaction: Interaction) {}
    var queueDepth: Int { 0 }
    func close() async {}
}

/// A running recorder child process.
final class RecorderProcess {
    let process = Process()
    let port: Int
    private let output = Pipe()

    init(upstreamPort: Int, cassette: String, maxCapturedBytes: Int? = nil) throws {
        CPUPinning.configure(
            process, executable: URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL,
            arguments: ["child", "http://127.0.0.1:\(upstreamPort)", cassette] + (maxCapturedBytes.map { [String($0)] } ?? []),
            proxy: true)
        process.standardOutput = output
        try process.run()
        var line = ""
        let handle = output.fileHandleForReading
        while !line.hasSuffix("\n") {
            let byte = handle.readData(ofLength: 1)
            guard !byte.isEmpty else { throw BenchError("the recorder child exited before listening") }
            line += String(decoding: byte, as: UTF8.self)
        }
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchError("the recorder child said \(line)")
        }
        self.port = port
    }

    /// Resident memory of the child, in bytes (VmRSS).
    var residentBytes: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }

    /// CPU time the child used so far (user + system), in microseconds.
    var cpuMicros: Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        let ticks = Int(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) * 1_000_000 / max(1, ticks)
    }

    /// Stops the child (SIGTERM) and returns its last line.
    func stop() -> String {
        process.terminate()
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return rest.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
