// Added latency and throughput of `tapedeck route` (the gateway, in process) against the same
// streams fetched directly from an in-process upstream serving a fixture stream.
// Usage: swift run -c release gateway-bench [--clients 50] [--requests 10] [--paced-requests 1]
//        [--gap-ms 20] [--fixture PATH] [--gateway-only]
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

func runMode(_ name: String, url: String, http: HTTPClient, upstream: BenchUpstream, clients: Int, requests: Int) async throws -> ModeResult {
    let cpuStart = processCPUMicros()
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
    return ModeResult(samples: samples, wall: ContinuousClock.now - start, cpuMicros: processCPUMicros() - cpuStart)
}

func report(_ title: String, direct: ModeResult, gateway: ModeResult) {
    func row(_ label: String, _ a: Double, _ b: Double) -> String {
        label.padding(toLength: 26, withPad: " ", startingAt: 0) + format(a).padding(toLength: 14, withPad: " ", startingAt: 0)
            + format(b).padding(toLength: 14, withPad: " ", startingAt: 0) + format(b - a)
    }
    print("\n\(title)")
    print("".padding(toLength: 26, withPad: " ", startingAt: 0) + "direct        gateway       added")
    print(row("time to first text p50", direct.ttfb.p50, gateway.ttfb.p50))
    print(row("time to first text p99", direct.ttfb.p99, gateway.ttfb.p99))
    print(row("per frame p50", direct.frame.p50, gateway.frame.p50))
    print(row("per frame p99", direct.frame.p99, gateway.frame.p99))
    print(row("CPU per text frame", direct.cpuPerFrame, gateway.cpuPerFrame))
    print(String(
        format: "throughput            %.0f frames/s  %.0f frames/s  ratio %.2f (%d streams, %d text frames each mode)",
        direct.framesPerSecond, gateway.framesPerSecond, gateway.framesPerSecond / direct.framesPerSecond, direct.samples.count,
        direct.textFrames))
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

for (title, gap, requests) in [
    ("max speed", nil as TimeAmount?, options.requests),
    ("paced, \(options.gapMilliseconds) ms between frames", TimeAmount.milliseconds(Int64(options.gapMilliseconds)), options.pacedRequests),
] where requests > 0 {
    let upstream = BenchUpstream(frames: blocks, gap: gap)
    try await upstream.start(group: group)
    let yaml = """
        model_list:
          - model_name: gpt-4o
            litellm_params: {model: openai/gpt-4o, api_base: "http://127.0.0.1:\(upstream.port)/v1", api_key: sk-bench}
        """
    let config = try RouterConfigLoader.parse(yaml: yaml, file: "bench.yaml", environment: [:]).config
    let transport = HTTPUpstreamTransport(settings: .init(maxConnectionsPerHost: options.clients * 2), eventLoopGroup: group, logger: quiet)
    let bound = PortBox()
    let application = buildGatewayApplication(
        config: config, transport: transport, settings: GatewaySettings(port: 0), logger: quiet,
        onServerRunning: { channel in bound.set(channel.localAddress?.port ?? 0) })
    let stop = StopSignal()
    let server = Task { try await runGateway(application, logger: quiet) { await stop.wait() } }
    while bound.port == nil { try await Task.sleep(for: .milliseconds(10)) }
    let gatewayURL = "http://127.0.0.1:\(bound.port ?? 0)/v1/chat/completions"
    let directURL = "http://127.0.0.1:\(upstream.port)/v1/chat/completions"

    // Warm-up: connections, caches, lazy initialisation.
    _ = try await runMode("warm-direct", url: directURL, http: http, upstream: upstream, clients: options.clients, requests: 1)
    _ = try await runMode("warm-gateway", url: gatewayURL, http: http, upstream: upstream, clients: options.clients, requests: 1)

    if options.gatewayOnly {
        let gateway = try await runMode("gateway", url: gatewayURL, http: http, upstream: upstream, clients: options.clients, requests: requests)
        print("\(title): gateway only, \(format(gateway.cpuPerFrame)) CPU per text frame, \(Int(gateway.framesPerSecond)) frames/s")
        stop.fire()
        try await server.value
        try await transport.shutdown()
        await upstream.stop()
        continue
    }
    let direct = try await runMode("direct", url: directURL, http: http, upstream: upstream, clients: options.clients, requests: requests)
    let gateway = try await runMode("gateway", url: gatewayURL, http: http, upstream: upstream, clients: options.clients, requests: requests)
    report("\(title): \(options.clients) concurrent streams × \(requests), \(blocks.count) blocks per stream", direct: direct, gateway: gateway)

    stop.fire()
    try await server.value
    try await transport.shutdown()
    await upstream.stop()
}
try await closeClient(http)
