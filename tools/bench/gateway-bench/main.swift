// Added latency and throughput of `tapedeck route` (the gateway, in process) against the same
// streams fetched directly from an in-process upstream serving a fixture stream.
// Usage: swift run -c release gateway-bench [--clients 50] [--requests 10] [--paced-requests 1]
//        [--gap-ms 20] [--fixture PATH] [--gateway-only] [--litellm PATH_TO_LITELLM_BIN]
// With --litellm, a LiteLLM proxy started by the bench (same config, same upstream, same traffic)
// runs as a third mode after direct and tapedeck, and the tables compare all three.
// The paced run (20 ms between frames: about 50 tokens/s per stream, a fast model) measures the
// latency the gateway adds; the full-speed run measures its throughput (per-frame latency there is
// the backlog of a stream blasted at once, divided by throughput).
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import RouterGateway
import Routing
import SSE

struct Options {
    var clients = 50
    var requests = 10
    var pacedRequests = 1
    var gapMilliseconds = 20
    var fixture = "fixtures/streams/openai_chat/long-answer-usage.sse"
    /// Run only the gateway (for profiling); nothing is compared.
    var gatewayOnly = false
    /// The `litellm` executable of a LiteLLM venv; when given, LiteLLM is measured too.
    var litellm: String?

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--clients": clients = iterator.next().flatMap(Int.init) ?? clients
            case "--requests": requests = iterator.next().flatMap(Int.init) ?? requests
            case "--paced-requests": pacedRequests = iterator.next().flatMap(Int.init) ?? pacedRequests
            case "--gap-ms": gapMilliseconds = iterator.next().flatMap(Int.init) ?? gapMilliseconds
            case "--fixture": fixture = iterator.next() ?? fixture
            case "--gateway-only": gatewayOnly = true
            case "--litellm": litellm = iterator.next()
            default:
                FileHandle.standardError.write(Data("gateway-bench: unknown option \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

/// What one mode (direct or through the gateway) measured.
struct ModeResult {
    var samples: [RequestSample]
    var wall: Duration
    var cpuMicros: Double

    var textFrames: Int { samples.reduce(0) { $0 + $1.textFrames } }
    var ttfb: Percentiles { Percentiles(samples.map(\.timeToFirstText)) }
    var frame: Percentiles { Percentiles(samples.flatMap(\.frameLatencies)) }
    var framesPerSecond: Double { Double(textFrames) / (Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18) }
    var cpuPerFrame: Double { cpuMicros / Double(max(1, textFrames)) }
}

/// A one-shot signal for stopping the gateway.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var fired = false

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now: Bool = lock.withLock {
                if fired { return true }
                self.continuation = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    func fire() {
        let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
            fired = true
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume()
    }
}

/// The port the gateway bound, once it has.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int?
    func set(_ port: Int) { lock.withLock { value = port } }
    var port: Int? { lock.withLock { value } }
}

func closeClient(_ http: HTTPClient) async throws {
    try await http.shutdown()
}

func runMode(
    _ name: String, url: String, http: HTTPClient, upstream: BenchUpstream, clients: Int, requests: Int,
    peerCPU: () -> Double = { 0 }
) async throws -> ModeResult {
    let cpuStart = processCPUMicros() + peerCPU()
    let start = ContinuousClock.now
    let samples = try await withThrowingTaskGroup(of: [RequestSample].self) { group in
        for client in 0..<clients {
            group.addTask {
                var samples: [RequestSample] = []
                for request in 0..<requests {
                    samples.append(try await streamOnce(http: http, url: url, id: "\(name)-\(client)-\(request)", upstream: upstream))
                }
                return samples
            }
        }
        var all: [RequestSample] = []
        for try await samples in group { all += samples }
        return all
    }
    let wall = ContinuousClock.now - start
    return ModeResult(samples: samples, wall: wall, cpuMicros: processCPUMicros() + peerCPU() - cpuStart)
}

/// Prints one table: a column per mode, the latency each gateway adds over direct, and ratios.
func report(_ title: String, _ modes: [(name: String, result: ModeResult)]) {
    guard let direct = modes.first?.result else { return }
    let gateways = modes.dropFirst()
    func line(_ label: String, _ cells: [String]) {
        print(label.padding(toLength: 30, withPad: " ", startingAt: 0) + cells.map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined())
    }
    print("\n\(title)")
    line("", modes.map(\.name))
    line("time to first text p50", modes.map { format($0.result.ttfb.p50) })
    line("time to first text p99", modes.map { format($0.result.ttfb.p99) })
    line("per frame p50", modes.map { format($0.result.frame.p50) })
    line("per frame p99", modes.map { format($0.result.frame.p99) })
    line("throughput, text frames/s", modes.map { String(format: "%.0f", $0.result.framesPerSecond) })
    line("CPU per text frame (all)", modes.map { format($0.result.cpuPerFrame) })
    print("added over direct")
    line("", gateways.map(\.name))
    line("  time to first text p50", gateways.map { format($0.result.ttfb.p50 - direct.ttfb.p50) })
    line("  time to first text p99", gateways.map { format($0.result.ttfb.p99 - direct.ttfb.p99) })
    line("  per frame p50", gateways.map { format($0.result.frame.p50 - direct.frame.p50) })
    line("  per frame p99", gateways.map { format($0.result.frame.p99 - direct.frame.p99) })
    line("  CPU per text frame", gateways.map { format($0.result.cpuPerFrame - direct.cpuPerFrame) })
    line("  throughput ratio to direct", gateways.map { String(format: "%.2f", $0.result.framesPerSecond / direct.framesPerSecond) })
    print("(\(direct.samples.count) streams and \(direct.textFrames) text frames per mode)")
    guard gateways.count == 2, let first = gateways.first?.result, let second = gateways.last?.result else { return }
    let (a, b) = (gateways.first?.name ?? "", gateways.last?.name ?? "")
    // A ratio of added costs means nothing when the first gateway's is within noise of zero.
    func ratio(_ x: Double, _ y: Double) -> String { y > 0 ? String(format: "%.1f×", x / y) : "n/a" }
    print("\(b) / \(a): added per-frame p99 \(ratio(second.frame.p99 - direct.frame.p99, first.frame.p99 - direct.frame.p99)), "
        + "added time-to-first-text p99 \(ratio(second.ttfb.p99 - direct.ttfb.p99, first.ttfb.p99 - direct.ttfb.p99)), "
        + "throughput \(String(format: "%.2f", second.framesPerSecond / first.framesPerSecond)), "
        + "CPU per frame added \(ratio(second.cpuPerFrame - direct.cpuPerFrame, first.cpuPerFrame - direct.cpuPerFrame))")
}

let options = Options(arguments: CommandLine.arguments)
guard let fixture = try? Data(contentsOf: URL(fileURLWithPath: options.fixture)) else {
    FileHandle.standardError.write(Data("gateway-bench: cannot read \(options.fixture) (run from the repository root)\n".utf8))
    exit(1)
}
let blocks = SSEParser.parse(Array(fixture)).map(\.raw)
#if DEBUG
print("gateway-bench: this is a debug build; figures mean little (use swift run -c release gateway-bench)")
#endif

var quiet = Logger(label: "gateway-bench")
quiet.logLevel = .error
let group = MultiThreadedEventLoopGroup.singleton
var clientConfiguration = HTTPClient.Configuration()
clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.clients * 2)
let http = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: clientConfiguration)
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

// One upstream, one config and one set of gateways for every run; only the upstream's pacing changes.
let upstream = BenchUpstream(frames: blocks, gap: nil)
try await upstream.start(group: group)
let yaml = benchGatewayConfig(upstreamPort: upstream.port, masterKey: benchMasterKey)
let config = try RouterConfigLoader.parse(yaml: yaml, file: "bench.yaml", environment: [:]).config
let transport = HTTPUpstreamTransport(settings: .init(maxConnectionsPerHost: options.clients * 2), eventLoopGroup: group, logger: quiet)
let bound = PortBox()
let application = buildGatewayApplication(
    config: config, transport: transport, settings: GatewaySettings(port: 0), logger: quiet,
    onServerRunning: { channel in bound.set(channel.localAddress?.port ?? 0) })
let stop = StopSignal()
let server = Task { try await runGateway(application, logger: quiet) { await stop.wait() } }
while bound.port == nil { try await Task.sleep(for: .milliseconds(10)) }
let directURL = "http://127.0.0.1:\(upstream.port)/v1/chat/completions"
let gatewayURL = "http://127.0.0.1:\(bound.port ?? 0)/v1/chat/completions"

var litellm: LiteLLMPeer?
if let executable = options.litellm, !options.gatewayOnly {
    let started = ContinuousClock.now
    do {
        litellm = try await LiteLLMPeer(executable: executable, config: yaml, scratch: scratch, http: http)
    } catch {
        FileHandle.standardError.write(Data("gateway-bench: \(error)\n".utf8))
        exit(1)
    }
    print("gateway-bench: LiteLLM (\(executable)) live on port \(litellm?.port ?? 0) after \(ContinuousClock.now - started)")
}

/// The modes measured, in order: direct first (the baseline), then each gateway.
var targets: [(name: String, url: String, peerCPU: () -> Double)] = [("direct", directURL, { 0 }), ("tapedeck", gatewayURL, { 0 })]
if let litellm {
    targets.append(("litellm", "http://127.0.0.1:\(litellm.port)/v1/chat/completions", { litellm.cpuMicros }))
}

do {
    for (title, gap, requests) in [
        ("max speed", nil as TimeAmount?, options.requests),
        ("paced, \(options.gapMilliseconds) ms between frames", TimeAmount.milliseconds(Int64(options.gapMilliseconds)), options.pacedRequests),
    ] where requests > 0 {
        upstream.gap = gap
        // Warm-up: connections, caches, lazy initialisation.
        for target in targets where !options.gatewayOnly || target.name == "tapedeck" {
            _ = try await runMode("warm-\(target.name)", url: target.url, http: http, upstream: upstream, clients: options.clients, requests: 1)
        }
        if options.gatewayOnly {
            let gateway = try await runMode("gateway", url: gatewayURL, http: http, upstream: upstream, clients: options.clients, requests: requests)
            print("\(title): gateway only, \(format(gateway.cpuPerFrame)) CPU per text frame, \(Int(gateway.framesPerSecond)) frames/s")
            continue
        }
        var results: [(name: String, result: ModeResult)] = []
        for target in targets {
            let result = try await runMode(
                target.name, url: target.url, http: http, upstream: upstream, clients: options.clients, requests: requests,
                peerCPU: target.peerCPU)
            results.append((target.name, result))
        }
        report("\(title): \(options.clients) concurrent streams × \(requests), \(blocks.count) blocks per stream", results)
    }
    if let litellm { print("litellm RSS at the end: \(litellm.residentBytes >> 20) MiB") }
} catch {
    FileHandle.standardError.write(Data("gateway-bench: \(error)\n".utf8))
    if let litellm { FileHandle.standardError.write(Data("gateway-bench: LiteLLM log: \(litellm.logPath)\n".utf8)) }
    litellm?.stop()
    exit(1)
}

litellm?.stop()
stop.fire()
try await server.value
try await transport.shutdown()
await upstream.stop()
try await closeClient(http)
