import Foundation
import NIOCore

/// A peer proxy the `compare` phase runs beside the recorder.
struct BenchPeer {
    var name: String
    var start: (_ upstreamPort: Int, _ scratch: URL) async throws -> any BenchProxy

    static func mitmproxy(_ executable: String) -> BenchPeer {
        BenchPeer(name: "mitmproxy") { try await MitmdumpProcess(executable: executable, upstreamPort: $0, scratch: $1) }
    }

    static func nginx(_ executable: String) -> BenchPeer {
        BenchPeer(name: "nginx") { try await NginxProcess(executable: executable, upstreamPort: $0, scratch: $1) }
    }
}

/// The `compare` phase: direct, Tapedeck's recorder and peer proxies (mitmproxy, nginx) over the
/// same upstream and the same traffic in one run: added latency per frame, throughput, CPU and
/// each proxy's peak resident memory, with each peer's figures as ratios of the recorder's.
enum PeerComparison {
    static func compare(peers: [BenchPeer], streamCounts: [Int], frames: Int, intervalMillis: Int64, scratch: URL) async throws {
        try await latency(peers: peers, streamCounts: streamCounts, frames: frames, intervalMillis: intervalMillis, scratch: scratch)
        try await throughput(peers: peers, streamCounts: streamCounts, scratch: scratch)
    }

    /// Starts the recorder and every peer in front of `upstreamPort`.
    private static func proxies(peers: [BenchPeer], upstreamPort: Int, scratch: URL, label: String) async throws
        -> [(name: String, proxy: any BenchProxy)]
    {
        var started: [(name: String, proxy: any BenchProxy)] = [
            ("tapedeck", try RecorderProcess(upstreamPort: upstreamPort, cassette: scratch.appendingPathComponent("\(label).sqlite").path))
        ]
        for peer in peers { started.append((peer.name, try await peer.start(upstreamPort, scratch))) }
        return started
    }


    /// What one proxy did in one run: samples, wall time, CPU used and peak memory.
    private struct ProxyRun {
        var samples: BenchSamples
        var wall: Duration
        var cpuMicros: Int
        var peakRSS: Int
    }

    private static func measure(_ proxy: any BenchProxy, count: Int, spread: Duration) async -> ProxyRun {
        let memory = PeakMemory(pid: proxy.pid)
        let cpuBefore = proxy.cpuSoFar
        let (samples, wall) = await run(count: count, port: proxy.port, spread: spread)
        return ProxyRun(samples: samples, wall: wall, cpuMicros: proxy.cpuSoFar - cpuBefore, peakRSS: memory.finish())
    }

    private static func latency(peers: [BenchPeer], streamCounts: [Int], frames: Int, intervalMillis: Int64, scratch: URL) async throws {
        let shape = StreamShape(frames: frames, interval: .milliseconds(intervalMillis), padding: 120)
        let upstream = try await BenchUpstream.start(shape: shape)
        let upstreamPort = upstream.localAddress?.port ?? 0
        let proxies = try await proxies(peers: peers, upstreamPort: upstreamPort, scratch: scratch, label: "compare-paced")
        say("\n== compare: added latency per frame, direct vs tapedeck vs \(peers.map(\.name).joined(separator: " vs ")) (\(intervalMillis) ms between frames, \(frames) frames, starts spread over one stream) ==")
        say("streams  mode       p50 µs    p99 µs    added p50  added p99  frames  failed  CPU µs/frame  peak RSS MiB")
        let spread = Duration.milliseconds(intervalMillis * Int64(frames))
        for count in streamCounts {
            for (_, proxy) in proxies { _ = await run(count: min(count, 10), port: proxy.port) }
            let (direct, _) = await run(count: count, port: upstreamPort, spread: spread)
            let d = direct.snapshot.latencies.sorted()
            say(String(format: "%7d  direct     %8.0f  %8.0f          -          -  %6d  %6d", count, percentile(d, 0.5), percentile(d, 0.99),
                       d.count, direct.snapshot.failed))
            var added: [String: (p50: Double, p99: Double, cpu: Double, rss: Int)] = [:]
            for (name, proxy) in proxies {
                let run = await measure(proxy, count: count, spread: spread)
                let r = run.samples.snapshot.latencies.sorted()
                let cpu = Double(run.cpuMicros) / Double(max(1, r.count))
                let (p50, p99) = (percentile(r, 0.5) - percentile(d, 0.5), percentile(r, 0.99) - percentile(d, 0.99))
                added[name] = (p50, p99, cpu, run.peakRSS)
                say(String(format: "%7d  %@  %8.0f  %8.0f  %9.0f  %9.0f  %6d  %6d  %12.1f  %12d", count, name.padding(toLength: 9, withPad: " ", startingAt: 0) as NSString,
                           percentile(r, 0.5), percentile(r, 0.99), p50, p99, r.count, run.samples.snapshot.failed, cpu, run.peakRSS >> 20))
                // A proxy that buffers the whole body delivers every frame at the end: the median
                // frame then waits about half a stream. Per-frame figures would be meaningless.
                if percentile(r, 0.5) > Double(intervalMillis * Int64(frames)) * 1_000 / 4 {
                    say("  !! \(name) does not stream frame by frame: its median frame arrives \(Int(percentile(r, 0.5) / 1_000)) ms late")
                }
            }
            for name in peers.map(\.name) {
                guard let ours = added["tapedeck"], let peer = added[name] else { continue }
                say("  \(name) / tapedeck: added p50 \(ratio(peer.p50, ours.p50)), added p99 \(ratio(peer.p99, ours.p99)), "
                    + "CPU per frame \(ratio(peer.cpu, ours.cpu)), peak RSS \(ratio(Double(peer.rss), Double(ours.rss)))")
            }
        }
        for (name, proxy) in proxies { say("\(name): \(proxy.stop())") }
        upstream.close(promise: nil)
    }

    private static func throughput(peers: [BenchPeer], streamCounts: [Int], scratch: URL) async throws {
        let shape = StreamShape(frames: 2_000, interval: .zero, padding: 200)
        let upstream = try await BenchUpstream.start(shape: shape)
        let upstreamPort = upstream.localAddress?.port ?? 0
        let proxies = try await proxies(peers: peers, upstreamPort: upstreamPort, scratch: scratch, label: "compare-bulk")
        say("\n== compare: throughput, direct vs tapedeck vs \(peers.map(\.name).joined(separator: " vs ")) (2000 frames of ~250 B per stream, unpaced) ==")
        say("streams  mode       MB/s     ratio to direct  CPU µs/MB  peak RSS MiB  failed")
        for count in streamCounts {
            for (_, proxy) in proxies { _ = await run(count: min(count, 10), port: proxy.port) }
            let (direct, directTime) = await run(count: count, port: upstreamPort)
            let directRate = Double(direct.snapshot.bytes) / seconds(directTime) / 1e6
            say(String(format: "%7d  direct     %7.1f             1.00          -             -  %6d", count, directRate, direct.snapshot.failed))
            var figures: [String: (rate: Double, cpu: Double, rss: Int)] = [:]
            for (name, proxy) in proxies {
                let run = await measure(proxy, count: count, spread: .zero)
                let rate = Double(run.samples.snapshot.bytes) / seconds(run.wall) / 1e6
                let cpu = Double(run.cpuMicros) / max(1e-9, Double(run.samples.snapshot.bytes) / 1e6)
                figures[name] = (rate, cpu, run.peakRSS)
                say(String(format: "%7d  %@  %7.1f  %15.2f  %9.0f  %12d  %6d", count, name.padding(toLength: 9, withPad: " ", startingAt: 0) as NSString, rate, rate / directRate, cpu,
                           run.peakRSS >> 20, run.samples.snapshot.failed))
            }
            for name in peers.map(\.name) {
                guard let ours = figures["tapedeck"], let peer = figures[name] else { continue }
                say("  \(name) / tapedeck: throughput \(String(format: "%.2f", peer.rate / ours.rate)), CPU per MB \(ratio(peer.cpu, ours.cpu)), "
                    + "peak RSS \(ratio(Double(peer.rss), Double(ours.rss)))")
            }
        }
        for (name, proxy) in proxies { say("\(name): \(proxy.stop())") }
        upstream.close(promise: nil)
    }

    /// `a / b` as "N.N×"; "n/a" when `b` is within noise of zero or negative.
    private static func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? String(format: "%.1f×", a / b) : "n/a" }
}
