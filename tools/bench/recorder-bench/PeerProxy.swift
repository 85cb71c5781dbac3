import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A proxy process the bench measures: Tapedeck's recorder or a peer such as mitmproxy.
protocol BenchProxy: AnyObject {
    /// The loopback port clients connect to.
    var port: Int { get }
    /// The proxy's process id, for `/proc` readings.
    var pid: Int32 { get }
    /// Stops the proxy and returns what it last said.
    func stop() -> String
}

extension BenchProxy {
    /// Resident memory now (`VmRSS`), in bytes.
    var residentNow: Int { Proc.residentBytes(pid: pid) }
    /// CPU time used so far (user + system), in microseconds.
    var cpuSoFar: Int { Proc.cpuMicros(pid: pid) }
}

extension RecorderProcess: BenchProxy {
    var pid: Int32 { process.processIdentifier }
}

/// `mitmdump` in reverse-proxy mode in front of the bench upstream, streaming every body chunk by
/// chunk (`tools/bench/mitm_stream.py`, plus `stream_large_bodies=1`), on a free loopback port.
/// It keeps no copy of streamed bodies, so unlike the recorder it stores nothing.
final class MitmdumpProcess: BenchProxy {
    let process = Process()
    let port: Int
    private let log: URL

    init(executable: String, upstreamPort: Int, scratch: URL) async throws {
        port = try await freeLoopbackPort()
        log = scratch.appendingPathComponent("mitmdump-\(port).log")
        let addon = URL(fileURLWithPath: "tools/bench/mitm_stream.py").standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: addon) else {
            throw BenchError("\(addon) is missing; run recorder-bench from the repository root")
        }
        CPUPinning.configure(process, executable: URL(fileURLWithPath: executable), arguments: [
            "--mode", "reverse:http://127.0.0.1:\(upstreamPort)", "--listen-host", "127.0.0.1", "--listen-port", String(port),
            "--set", "stream_large_bodies=1", "--set", "flow_detail=0", "--set", "termlog_verbosity=warn",
            "--set", "confdir=\(scratch.appendingPathComponent("mitmproxy-conf").path)", "-s", addon,
        ], proxy: true)
        try await launch(process, name: "mitmdump", port: port, log: log)
    }

    var pid: Int32 { process.processIdentifier }

    func stop() -> String {
        // Children started by Foundation's Process here inherit a mask that blocks SIGINT and
        // SIGTERM, so mitmdump's handlers never run; it stores nothing, so SIGKILL loses nothing.
        process.interrupt()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let last = lastLines(of: log)
        return "exited with status \(process.terminationStatus)" + (last.isEmpty ? "" : ": \(last)")
    }
}

/// nginx as a plain reverse proxy in front of the bench upstream, `proxy_buffering off` (each
/// chunk relayed as it arrives), keep-alive to the upstream, no log per request: the floor a
/// proxy written in C reaches on this machine. One process (`master_process off`, one worker), so
/// its CPU and memory are read from one pid. It stores nothing.
final class NginxProcess: BenchProxy {
    let process = Process()
    let port: Int
    private let log: URL

    init(executable: String, upstreamPort: Int, scratch: URL) async throws {
        port = try await freeLoopbackPort()
        let folder = scratch.appendingPathComponent("nginx-\(port)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        log = folder.appendingPathComponent("error.log")
        let configuration = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(folder.path)/nginx.pid;
            error_log \(log.path) warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(folder.path)/body;
                proxy_temp_path \(folder.path)/proxy;
                upstream bench { server 127.0.0.1:\(upstreamPort); keepalive 256; }
                server {
                    listen 127.0.0.1:\(port) backlog=4096;
                    keepalive_requests 100000;
                    location / {
                        proxy_pass http://bench;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_buffering off;
                        proxy_request_buffering off;
                        tcp_nodelay on;
                    }
                }
            }
            """
        let file = folder.appendingPathComponent("nginx.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        CPUPinning.configure(
            process, executable: URL(fileURLWithPath: executable), arguments: ["-p", folder.path, "-c", file.path, "-e", log.path],
            proxy: true)
        try await launch(process, name: "nginx", port: port, log: log)
    }

    var pid: Int32 { process.processIdentifier }

    func stop() -> String {
        // Stores nothing: a kill loses nothing (see `MitmdumpProcess.stop` on signal masks).
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let last = lastLines(of: log)
        return "stopped" + (last.isEmpty ? "" : ": \(last)")
    }
}

/// A free loopback port (bound, read, released).
func freeLoopbackPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

/// Starts `process` with its output in `log` and returns once it listens on `port`.
func launch(_ process: Process, name: String, port: Int, log: URL) async throws {
    if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    try await waitUntilListening(port: port, process: process, name: name, log: log)
}

/// The last three lines of a log, on one line.
func lastLines(of log: URL) -> String {
    let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").suffix(3).joined(separator: " | ")
}

/// Returns once `port` accepts a connection; throws if `process` exits first or a minute passes.
private func waitUntilListening(port: Int, process: Process, name: String, log: URL) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        guard process.isRunning else { throw BenchError("\(name) exited during startup; its log is \(log.path)") }
        if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        {
            try? await channel.close()
            return
        }
        try await Task.sleep(for: .milliseconds(200))
    }
    throw BenchError("\(name) did not listen on \(port) within 60 s; its log is \(log.path)")
}

/// Readings of another process from `/proc`.
enum Proc {
    static func residentBytes(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
    }

    static func cpuMicros(pid: Int32) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return 0
        }
        // After the command name: the state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return (user + system) * 1_000_000 / max(1, Int(sysconf(Int32(_SC_CLK_TCK))))
    }
}

/// The highest resident memory of a process while something runs, sampled every 50 ms.
final class PeakMemory: Sendable {
    private let peak: NIOLockedValueBox<Int>
    private let sampler: Task<Void, Never>

    init(pid: Int32) {
        let peak = NIOLockedValueBox(Proc.residentBytes(pid: pid))
        self.peak = peak
        sampler = Task {
            while !Task.isCancelled {
                let now = Proc.residentBytes(pid: pid)
                peak.withLockedValue { $0 = max($0, now) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Stops sampling and returns the peak, in bytes.
    func finish() -> Int {
        sampler.cancel()
        return peak.withLockedValue { $0 }
    }
}
