import Foundation
import Testing

/// `tapedeck analyze` run as a user runs it.
@Suite("tapedeck analyze", .serialized)
struct AnalyzeCommandTests {
    static func temporaryDirectory() throws -> ScratchDirectory { try ScratchDirectory("analyze") }

    static func report(in directory: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent("report.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("the built-in demo runs clean against the sound router and writes every report")
    func demo() throws {
        let reportsFolder = try Self.temporaryDirectory()
        defer { reportsFolder.remove() }
        let reports = reportsFolder.url
        let result = try TapedeckProcess.run(["analyze", "--report", reports.path])
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["report.json", "report.md", "report.html", "junit.xml"] {
            #expect(FileManager.default.fileExists(atPath: reports.appendingPathComponent(name).path), "\(name)")
        }
        let report = try Self.report(in: reports)
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["findings"] as? Int == 0, "\(result.stdout)")
        #expect((summary["scenarios"] as? Int ?? 0) >= 30)
        #expect(result.stdout.contains("0 errors, 0 warnings, 0 info"))
    }

    @Test("--fail-on error exits non-zero when the router skips fallback mid-stream")
    func failOn() throws {
        let reportsFolder = try Self.temporaryDirectory()
        defer { reportsFolder.remove() }
        let reports = reportsFolder.url
        let result = try TapedeckProcess.run([
            "analyze", "--router", "fixtures/routers/policies/midstream-disabled.yaml", "--scenarios", "fixtures/scenarios/seeds.yaml",
            "--report", reports.path, "--format", "json,junit", "--fail-on", "error",
        ])
        #expect(result.status == 1)
        let report = try Self.report(in: reports)
        let scenarios = try #require(report["scenarios"] as? [[String: Any]])
        let codes = scenarios.flatMap { ($0["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String } }
        #expect(codes.contains("fallback_skipped_in_stream"))
        let junit = try String(contentsOf: reports.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains("name=\"fallback_skipped_in_stream\""))
    }

    @Test("an external gateway is analyzed over HTTP: tapedeck route addressed with --target")
    func externalTarget() throws {
        let upstreamPort = try FreePort.pick()
        let gatewayPort = try FreePort.pick()
        let folder = try Self.temporaryDirectory()
        defer { folder.remove() }
        let directory = folder.url
        let config = try String(contentsOf: Fixtures.url("routers/analyze-demo.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "127.0.0.1:8788", with: "127.0.0.1:\(upstreamPort)")
        // The config carries the fixture's API keys: an input, kept out of the scanned artifacts.
        let inputs = try ScratchDirectory("analyze-inputs", purpose: .inputs)
        defer { inputs.remove() }
        let configPath = inputs.file("gateway.yaml")
        try config.write(to: configPath, atomically: true, encoding: .utf8)
        let gateway = Process()
        gateway.executableURL = TapedeckProcess.executable
        gateway.arguments = ["route", "--config", configPath.path, "--listen", "127.0.0.1:\(gatewayPort)"]
        // The gateway's log is kept with the reports, for the secret scan.
        let gatewayLog = try LogFile(in: folder, named: "route.log")
        gateway.standardOutput = gatewayLog.handle
        gateway.standardError = gatewayLog.handle
        try gateway.run()
        defer {
            gateway.terminate()
            gateway.waitUntilExit()
        }
        try FreePort.waitUntilListening(gatewayPort)
        let reports = directory.appendingPathComponent("reports")
        let result = try TapedeckProcess.run([
            "analyze", "--target", "http://127.0.0.1:\(gatewayPort)", "--target-key", "sk-tapedeck-demo",
            "--upstream-port", String(upstreamPort), "--scenarios", "fixtures/scenarios/seeds.yaml",
            "--report", reports.path, "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try Self.report(in: reports)
        #expect(report["target"] as? String == "http://127.0.0.1:\(gatewayPort)")
        let scenarios = try #require(report["scenarios"] as? [[String: Any]])
        #expect(scenarios.count == 9)
        let findings = scenarios.flatMap { $0["findings"] as? [[String: Any]] ?? [] }
        #expect(findings.isEmpty, "\(findings)")
        let attempts = try #require(scenarios.first?["attempts"] as? [String: Any])
        #expect(!((attempts["stream"] as? [Any]) ?? []).isEmpty, "the replay server saw the gateway's upstream requests")
    }

    @Test("--incident replays a recorded session in both modes: the primary fails as recorded, then the fallback answers")
    func incident() throws {
        let reportsFolder = try Self.temporaryDirectory()
        defer { reportsFolder.remove() }
        let reports = reportsFolder.url
        let result = try TapedeckProcess.run([
            "analyze", "--incident", "incident-2025-11-20", "--router", "fixtures/routers/analyze-demo.yaml",
            "--report", reports.path, "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let scenario = try #require((try Self.report(in: reports)["scenarios"] as? [[String: Any]])?.first)
        #expect(scenario["name"] as? String == "incident-incident-2025-11-20")
        let attempts = try #require(scenario["attempts"] as? [String: [[String: Any]]])
        for mode in ["stream", "non_stream"] {
            let tried = attempts[mode]?.map { $0["model"] as? String } ?? []
            #expect(tried.first == "gpt-4o" && tried.last == "claude-sonnet-4-6", "\(mode): \(tried)")
            #expect(attempts[mode]?.first?["fault"] as? String == "cut:after=6")
        }
        #expect((scenario["findings"] as? [Any])?.isEmpty == true)
    }

    @Test("bad inputs are one clear sentence and a non-zero exit", arguments: [
        (["analyze", "--cassette", "nope.jsonl"], "nope.jsonl does not exist."),
        (["analyze", "--scenarios", "fixtures/routers/analyze-demo.yaml"], "missing the `scenarios` list"),
        (["analyze", "--modes", "sideways"], "unknown mode `sideways`"),
        (["analyze", "--target", "http://127.0.0.1:9", "--concurrency", "2"], "--concurrency must be 1 with --target"),
        (["analyze", "--target", "http://127.0.0.1:9", "--matrix", "standard"], "--matrix standard needs --router CONFIG"),
        (["analyze", "--incident", "nope"], "--incident nope: the cassette has no session nope (sessions: incident-2025-11-20)."),
    ])
    func badInputs(arguments: [String], message: String) throws {
        let result = try TapedeckProcess.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}

/// Free loopback ports for child processes.
enum FreePort {
    static func pick() throws -> Int {
        let socket = Darwin_socket()
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func waitUntilListening(_ port: Int, timeout: Duration = .seconds(15)) throws {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            let socket = Darwin_socket()
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(socket)
            if connected == 0 { return }
            usleep(50_000)
        }
        throw CocoaError(.fileReadUnknown)
    }

    private static func Darwin_socket() -> Int32 {
        #if canImport(Glibc)
            return socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            return socket(AF_INET, SOCK_STREAM, 0)
        #endif
    }
}
