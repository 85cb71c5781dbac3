/// Lets a repeated log message through at most once per interval and counts the ones held back,
/// so a cassette that stays unwritable under heavy traffic yields a few lines, not millions.
///
/// Pure: the caller passes the time.
public struct LogThrottle: Sendable {
    public let interval: Duration
    private var lastLogged: ContinuousClock.Instant?
    private var suppressed = 0

    public init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Whether to log now; when true, also how many occurrences were held back since the last line.
    public mutating func admit(at now: ContinuousClock.Instant) -> (log: Bool, suppressed: Int) {
        if let lastLogged, now - lastLogged < interval {
            suppressed += 1
            return (false, 0)
        }
        lastLogged = now
        defer { suppressed = 0 }
        return (true, suppressed)
    }
}
