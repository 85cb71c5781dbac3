// Parse throughput of the SSE parser on the fixture corpus repeated to at least 100 MB.
// Usage: swift run -c release sse-bench [--megabytes N] [--chunk BYTES] [--fixtures DIR]
import Foundation
import SSE

struct Options {
    var megabytes = 100
    var chunk = 4096
    var fixtures = "fixtures"

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--megabytes": megabytes = iterator.next().flatMap(Int.init) ?? megabytes
            case "--chunk": chunk = iterator.next().flatMap(Int.init) ?? chunk
            case "--fixtures": fixtures = iterator.next() ?? fixtures
            default:
                FileHandle.standardError.write(Data("sse-bench: unknown option \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

let options = Options(arguments: CommandLine.arguments)
let root = URL(fileURLWithPath: options.fixtures)
var corpus: [UInt8] = []
if let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
    for case let url as URL in walker where url.pathExtension == "sse" {
        corpus += (try? Data(contentsOf: url)).map(Array.init) ?? []
    }
}
guard !corpus.isEmpty else {
    FileHandle.standardError.write(Data("sse-bench: no .sse files under \(root.path)\n".utf8))
    exit(1)
}
let target = options.megabytes << 20
var input: [UInt8] = []
input.reserveCapacity(target + corpus.count)
while input.count < target { input += corpus }

let clock = ContinuousClock()
var frames = 0
var events = 0
var best = Duration.seconds(1_000_000)
for _ in 0..<3 {
    frames = 0
    events = 0
    let elapsed = clock.measure {
        var parser = SSEParser()
        var start = 0
        input.withUnsafeBufferPointer { all in
            while start < all.count {
                let end = min(all.count, start + options.chunk)
                for frame in parser.feed(UnsafeBufferPointer(rebasing: all[start..<end])) {
                    frames += 1
                    if frame.event != nil { events += 1 }
                }
                start = end
            }
        }
        frames += parser.finish().count
    }
    best = min(best, elapsed)
}
let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
let megabytes = Double(input.count) / 1_048_576
print(String(format: "sse-bench: %.1f MB corpus (%d fixture bytes repeated), %d-byte chunks", megabytes, corpus.count, options.chunk))
print(String(format: "sse-bench: %d frames, %d events, best of 3: %.3f s, %.0f MB/s, %.2f M frames/s",
             frames, events, seconds, megabytes / seconds, Double(frames) / seconds / 1e6))
