import Foundation

/// `--pin`: the proxy under test gets the machine's last CPU to itself and the bench (upstream
/// and clients) the others, as a load generator and a proxy on separate machines would have. On
/// a 2-core machine without it, every cycle the proxy spends is taken from the bench's own
/// traffic, so the throughput ratio measures the proxy's CPU cost more than its speed.
enum CPUPinning {
    /// The memory phase is about the recorder's memory, not its speed: it runs unpinned (500
    /// slow clients on one CPU would starve).
    static let enabled: Bool = {
        let arguments = CommandLine.arguments
        guard arguments.contains("--pin") else { return false }
        guard let index = arguments.firstIndex(of: "--phases"), index + 1 < arguments.count else { return true }
        return arguments[index + 1] != "memory"
    }()
    private static let cpus = ProcessInfo.processInfo.activeProcessorCount

    /// The CPU list for the bench, or for the proxy under test.
    static func cpuList(proxy: Bool) -> String {
        proxy ? "\(cpus - 1)" : (cpus > 2 ? "0-\(cpus - 2)" : "0")
    }

    /// Sets `process` to run `executable` with `arguments`, through `taskset` onto its CPUs when pinning.
    static func configure(_ process: Process, executable: URL, arguments: [String], proxy: Bool, pin: Bool = enabled) {
        guard pin, cpus >= 2 else {
            process.executableURL = executable
            process.arguments = arguments
            return
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        process.arguments = ["-c", cpuList(proxy: proxy), executable.path] + arguments
    }

    /// Runs this very command again on the bench's CPUs, once, and exits with its status: for a
    /// run given `--phases` directly (without it, each phase is started on them already).
    static func reexecOnBenchCPUs() throws {
        guard enabled, cpus >= 2, ProcessInfo.processInfo.environment["BENCH_PINNED"] == nil else { return }
        let again = Process()
        configure(again, executable: URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL,
                  arguments: Array(CommandLine.arguments.dropFirst()), proxy: false)
        again.environment = ProcessInfo.processInfo.environment.merging(["BENCH_PINNED": "1"]) { $1 }
        try again.run()
        again.waitUntilExit()
        exit(again.terminationStatus)
    }
}
