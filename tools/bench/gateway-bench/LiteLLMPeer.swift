import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// The config both gateways load: one OpenAI deployment on the bench upstream, a master key, and
/// LiteLLM's settings for forwarding `x-` headers (which carry the bench's request ids) and for
/// staying offline. Tapedeck reads LiteLLM's format and warns about, then ignores, the keys it
/// does not use.
func benchGatewayConfig(upstreamPort: Int, masterKey: String) -> String {
    """
    model_list:
      - model_name: gpt-4o
        litellm_params: {model: openai/gpt-4o, api_base: "http://127.0.0.1:\(upstreamPort)/v1", api_key: sk-bench-upstream-placeholder}
    litellm_settings:
      drop_params: true
      telemetry: false
    general_settings:
      master_key: "\(masterKey)"
      forward_client_headers_to_llm_api: true
    """
}

/// A LiteLLM proxy started by the bench on a free loopback port (no database, master key only),
/// stopped by it at the end.
final class LiteLLMPeer {
    let process = Process()
    let port: Int
    let logPath: String

    /// Starts `litellm --config … --port …` and waits until `/health/liveliness` answers.
    init(executable: String, config: String, scratch: URL, http: HTTPClient) async throws {
        let configPath = scratch.appendingPathComponent("litellm-config.yaml")
        try Data(config.utf8).write(to: configPath)
        logPath = scratch.appendingPathComponent("litellm.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        port = try await freeLoopbackPort()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--config", configPath.path, "--host", "127.0.0.1", "--port", String(port), "--num_workers", "1"]
        var environment = ProcessInfo.processInfo.environment
        environment["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  // no download of the cost map at startup
        environment["NO_PROXY"] = "127.0.0.1,localhost"
        environment["no_proxy"] = "127.0.0.1,localhost"
        environment["LITELLM_LOG"] = "ERROR"
        environment.removeValue(forKey: "DATABASE_URL")
        process.environment = environment
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw PeerError("LiteLLM exited with status \(process.terminationStatus) during startup; its log is \(logPath)")
            }
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/liveliness")
            if let response = try? await http.execute(request, timeout: .seconds(2)), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        stop()
        throw PeerError("LiteLLM did not answer /health/liveliness within 120 s; its log is \(logPath)")
    }

    /// CPU time the proxy used so far (user + system), in microseconds.
    var cpuMicros: Double { processCPUMicros(pid: process.processIdentifier) }

    /// Resident memory of the proxy now, in bytes.
    var residentBytes: Int { processResidentBytes(pid: process.processIdentifier) }

    /// SIGTERM, then SIGKILL when it is still running after two seconds.
    func stop() {
        guard process.isRunning else { return }
        // Children started by Foundation's Process here inherit a mask that blocks SIGTERM, so
        // LiteLLM rarely exits on it; with no database it has nothing to lose to SIGKILL.
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A loopback port nobody listens on right now: bound to port 0, read, released.
func freeLoopbackPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

/// CPU time of another process so far (user + system from `/proc/PID/stat`), in microseconds.
func processCPUMicros(pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
        return 0
    }
    // After the command name: the state is field 3; utime and stime are fields 14 and 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) * 1e6 / Double(max(1, sysconf(Int32(_SC_CLK_TCK))))
}

/// Resident memory of another process (`VmRSS`), in bytes.
func processResidentBytes(pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
}
