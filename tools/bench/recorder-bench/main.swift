import Dispatch
import Foundation
import NIOCore

// recorder-bench: N concurrent SSE streams through the recorder vs direct to the same loopback
// upstream (added latency per frame, throughput ratio), and the recorder's memory with many
// slow-reading clients. Build and run in release:
//   swift build -c release --product recorder-bench && .build/release/recorder-bench
// Options: --streams 50,200  --frames 100  --interval-ms 20  --rounds 5  --slow-clients 500  --slow-seconds 8
//          --pin: the proxy on the last CPU, the bench on the others (CPUPinning.swift)
//          --mitmdump PATH, --nginx PATH: also the `compare` phase, direct vs recorder vs these peer
//          proxies (PeerComparison.swift)

let arguments = CommandLine.arguments
if arguments.count >= 4 && arguments[1] == "child" {
    try await RecorderChild.run(
        upstream: arguments[2], cassette: arguments[3], maxCapturedBytes: arguments.count > 4 ? Int(arguments[4]) : nil)
    exit(0)
}

/// Prints a line at once (stdout to a pipe is block-buffered).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

let streamCounts = option("--streams", "50,200").split(separator: ",").compactMap { Int($0) }
let frames = Int(option("--frames", "100")) ?? 100
let intervalMillis = Int64(option("--interval-ms", "20")) ?? 20
let slowClients = Int(option("--slow-clients", "500")) ?? 500
let slowSeconds = Int(option("--slow-seconds", "8")) ?? 8
var peers: [BenchPeer] = []
if arguments.contains("--mitmdump") { peers.append(.mitmproxy(option("--mitmdump", "mitmdump"))) }
if arguments.contains("--nginx") { peers.append(.nginx(option("--nginx", "nginx"))) }
let rounds = max(1, Int(option("--rounds", "5")) ?? 5)
let phases = Set(option("--phases", "latency,throughput,memory").split(separator: ",").map(String.init))

// Without --phases, each phase runs in a fresh process of its own: sockets and event-loop state
// left by one phase must not weigh on the next.
if !arguments.contains("--phases") {
    for phase in ["latency", "throughput", "memory"] + (peers.isEmpty ? [] : ["compare"]) {
        let child = Process()
        CPUPinning.configure(
            child, executable: URL(fileURLWithPath: arguments[0]).standardizedFileURL,
            arguments: Array(arguments.dropFirst()) + ["--phases", phase], proxy: false, pin: CPUPinning.enabled && phase != "memory")
        child.environment = ProcessInfo.processInfo.environment.merging(["BENCH_PINNED": "1"]) { $1 }
        try child.run()
        child.waitUntilExit()
    }
    exit(0)
}
try CPUPinning.reexecOnBenchCPUs()
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recorder-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

/// The `p` quantile of nanosecond samples, in microseconds.
func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
    return Double(sorted[index]) / 1_000
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// Runs `count` streams against `port`, starting them evenly over `spread` (real traffic is not
/// synchronized); returns the samples and the wall time.
func run(count: Int, port: Int, spread: Duration = .zero, slowRead: TimeAmount? = nil) async -> (BenchSamples, Duration) {
    let samples = BenchSamples()
    let start = ContinuousClock.now
    await withTaskGroup(of: Void.self) { group in
        for index in 0..<count {
            let delay = spread / count * index
            group.addTask {
                if delay > .zero { try? await Task.sleep(for: delay) }
                await BenchClient.stream(port: port, samples: samples, slowRead: slowRead)
            }
        }
    }
    return (samples, ContinuousClock.now - start)
}

func median(_ sorted: [Double]) -> Double { percentile(sorted, 0.5) }

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

say("recorder-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores; frames/stream \(frames)"
    + (CPUPinning.enabled ? "; pinned: bench on CPU \(CPUPinning.cpuList(proxy: false)), proxy on CPU \(CPUPinning.cpuList(proxy: true))" : ""))

// 1. Latency per frame, paced streams.
if phases.contains("latency") {
let paced = StreamShape(frames: frames, interval: .milliseconds(intervalMillis), padding: 120)
let pacedUpstream = try await BenchUpstream.start(shape: paced)
let pacedPort = pacedUpstream.localAddress?.port ?? 0
let pacedRecorder = try RecorderProcess(upstreamPort: pacedPort, cassette: scratch.appendingPathComponent("paced.sqlite").path)
if let pause = ProcessInfo.processInfo.environment["BENCH_PAUSE_PID"] {
    say("recorder child pid \(pacedRecorder.process.processIdentifier)")
    try await Task.sleep(for: .seconds(Int(pause) ?? 3))
}
say("\n== added latency per frame (\(intervalMillis) ms between frames, stream starts spread over one stream's length; \(rounds) rounds, direct and recorder alternating) ==")
say("streams  direct p50/p99 µs   recorder p50/p99 µs   added p50/p99 µs   added p99 per round µs: median (min … max)   first frame added p50/p99 µs   frames  failed  recorder CPU µs/frame")
for count in streamCounts {
    _ = await run(count: min(count, 10), port: pacedRecorder.port)  // warm-up: connections, pools
    let spread = Duration.milliseconds(intervalMillis * Int64(frames))
    let paired = await PairedRuns.measure(rounds: rounds, recorder: pacedRecorder) { port in
        await run(count: count, port: port ?? pacedPort, spread: spread).0
    }
    let d = paired.direct.flatMap(\.snapshot.latencies).sorted()
    let r = paired.recorder.flatMap(\.snapshot.latencies).sorted()
    // The first frame of a stream follows the response head through the recorder (time to first token).
    let firstD = paired.direct.flatMap(\.snapshot.first).sorted()
    let firstR = paired.recorder.flatMap(\.snapshot.first).sorted()
    let perRound = zip(paired.direct, paired.recorder).map { direct, through in
        percentile(through.snapshot.latencies.sorted(), 0.99) - percentile(direct.snapshot.latencies.sorted(), 0.99)
    }.sorted()
    let failed = (paired.direct.map(\.snapshot.failed).reduce(0, +), paired.recorder.map(\.snapshot.failed).reduce(0, +))
    let line = String(
        format: "%7d  %8.0f / %-8.0f   %8.0f / %-8.0f   %7.0f / %-7.0f  %8.0f (%.0f … %.0f)   %7.0f / %-7.0f          %7d  %d/%d    %.1f", count,
        percentile(d, 0.5), percentile(d, 0.99), percentile(r, 0.5), percentile(r, 0.99),
        percentile(r, 0.5) - percentile(d, 0.5), percentile(r, 0.99) - percentile(d, 0.99),
        median(perRound), perRound.first ?? .nan, perRound.last ?? .nan,
        percentile(firstR, 0.5) - percentile(firstD, 0.5), percentile(firstR, 0.99) - percentile(firstD, 0.99), r.count,
        failed.0, failed.1, Double(paired.recorderCPUMicros) / Double(max(1, r.count)))
    say(line)
}
say("recorder child: \(pacedRecorder.stop())")
pacedUpstream.close(promise: nil)
}

// 2. Throughput: unpaced streams, as fast as the connections take them.
if phases.contains("throughput") {
let bulk = StreamShape(frames: 2_000, interval: .zero, padding: 200)
let bulkUpstream = try await BenchUpstream.start(shape: bulk)
let bulkPort = bulkUpstream.localAddress?.port ?? 0
let bulkRecorder = try RecorderProcess(upstreamPort: bulkPort, cassette: scratch.appendingPathComponent("bulk.sqlite").path)
if let pause = ProcessInfo.processInfo.environment["BENCH_PAUSE_PID"] {
    // Lets a profiler attach to the recorder child before the run.
    say("recorder child pid \(bulkRecorder.process.processIdentifier)")
    try await Task.sleep(for: .seconds(Int(pause) ?? 3))
}
say("\n== throughput (2000 frames of ~250 B per stream, unpaced; \(rounds) rounds, direct and recorder alternating) ==")
say("streams  direct MB/s  recorder MB/s  ratio  ratio per round: median (min … max)  recorder CPU µs/MB")
for count in streamCounts {
    _ = await run(count: min(count, 10), port: bulkRecorder.port)
    var times: (direct: [Duration], recorder: [Duration]) = ([], [])
    let paired = await PairedRuns.measure(rounds: rounds, recorder: bulkRecorder) { port in
        let (samples, time) = await run(count: count, port: port ?? bulkPort)
        if port == nil { times.direct.append(time) } else { times.recorder.append(time) }
        return samples
    }
    func rate(_ runs: [BenchSamples], _ durations: [Duration]) -> Double {
        Double(runs.map(\.snapshot.bytes).reduce(0, +)) / durations.map(seconds).reduce(0, +) / 1e6
    }
    let perRound = (0..<rounds).map { index in
        rate([paired.recorder[index]], [times.recorder[index]]) / rate([paired.direct[index]], [times.direct[index]])
    }.sorted()
    let directRate = rate(paired.direct, times.direct)
    let throughRate = rate(paired.recorder, times.recorder)
    let cpuPerMB = Double(paired.recorderCPUMicros) / (Double(paired.recorder.map(\.snapshot.bytes).reduce(0, +)) / 1e6)
    say(String(
        format: "%7d  %11.1f  %13.1f  %5.2f  %12.2f (%.2f … %.2f)          %8.0f", count, directRate, throughRate,
        throughRate / directRate, median(perRound), perRound.first ?? .nan, perRound.last ?? .nan, cpuPerMB))
}
say("recorder child: \(bulkRecorder.stop())")
bulkUpstream.close(promise: nil)
}

// 3. Memory with slow readers: long streams, clients reading 2 KiB every 100 ms.
if phases.contains("memory") {
let long = StreamShape(frames: 40_000, interval: .zero, padding: 200)
let longUpstream = try await BenchUpstream.start(shape: long)
let longPort = longUpstream.localAddress?.port ?? 0
// The capture keeps what was relayed, and the kernel takes megabytes per socket; a small capture
// limit leaves the relay's own buffering to be measured.
let captureLimit = Int(option("--slow-capture-limit", "262144")) ?? 262_144
let slowRecorder = try RecorderProcess(
    upstreamPort: longPort, cassette: scratch.appendingPathComponent("slow.sqlite").path, maxCapturedBytes: captureLimit)
let idle = slowRecorder.residentBytes
say("\n== memory with \(slowClients) slow-reading clients (each stream ~10 MB, read at ~20 KB/s; capture limit \(captureLimit >> 10) KiB) ==")
let slowSamples = BenchSamples()
func slowSamplesReceived() -> Int { slowSamples.received }
let slowPort = slowRecorder.port
let slowRun = Task {
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<slowClients {
            group.addTask { await BenchClient.stream(port: slowPort, samples: slowSamples, slowRead: .milliseconds(100)) }
        }
    }
}
var peak = idle
var readings: [String] = []
// Wait until every client got its first bytes, so the growth measured is steady state.
let settle = ContinuousClock.now + .seconds(20)
while slowSamplesReceived() < slowClients * 2048 && ContinuousClock.now < settle { try await Task.sleep(for: .milliseconds(100)) }
let settled = slowRecorder.residentBytes
let settledReceived = slowSamplesReceived()
for second in 1...slowSeconds {
    try await Task.sleep(for: .seconds(1))
    let rss = slowRecorder.residentBytes
    peak = max(peak, rss)
    readings.append("\(second)s:\(rss >> 20)MiB/\(slowSamplesReceived() >> 20)MiB")
}
let relayedWhileMeasured = slowSamplesReceived() - settledReceived
say("recorder RSS idle \(idle >> 20) MiB, with all clients connected \(settled >> 20) MiB, peak \(peak >> 20) MiB")
say("growth over \(slowSeconds) s: \((peak - settled) >> 20) MiB while \(relayedWhileMeasured >> 20) MiB reached the clients; upstream offered \(slowClients) × ~10 MB")
say("per connected slow stream: ≈ \(((settled - idle) / max(1, slowClients)) >> 10) KiB")
say("samples (RSS/relayed): \(readings.joined(separator: " "))")
say("recorder child: \(slowRecorder.stop())")
slowRun.cancel()
longUpstream.close(promise: nil)
}

// 4. Side by side with a peer proxy, when one is given.
if phases.contains("compare") {
    guard !peers.isEmpty else { throw BenchError("the compare phase needs --mitmdump PATH or --nginx PATH") }
    try await PeerComparison.compare(
        peers: peers, streamCounts: streamCounts, frames: frames, intervalMillis: intervalMillis, scratch: scratch)
}
exit(0)
