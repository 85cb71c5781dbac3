import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Percentiles of a set of durations, in microseconds.
struct Percentiles {
    var p50: Double
    var p99: Double
    var count: Int

    init(_ durations: [Duration]) {
        let sorted = durations.map { Double($0.components.seconds) * 1e6 + Double($0.components.attoseconds) / 1e12 }.sorted()
        count = sorted.count
        func at(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
        }
        p50 = at(0.50)
        p99 = at(0.99)
    }
}

/// CPU time this process has used so far (user + system), in microseconds.
func processCPUMicros() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func micros(_ time: timeval) -> Double { Double(time.tv_sec) * 1e6 + Double(time.tv_usec) }
    return micros(usage.ru_utime) + micros(usage.ru_stime)
}

func format(_ micros: Double) -> String {
    micros >= 10_000 ? String(format: "%.1f ms", micros / 1000) : String(format: "%.0f µs", micros)
}
