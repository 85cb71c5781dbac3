/// Waits out a plan's pauses: the one place the wire layer meets time, so tests can drive it.
public protocol WireSleeper: Sendable {
    /// Returns once `duration` has passed, or early as soon as the calling task is cancelled.
    func sleep(for duration: Duration) async
}

/// Sleeps on any `Clock` measured in `Duration`: `ContinuousClock` in production.
public struct ClockSleeper<C: Clock>: WireSleeper where C.Duration == Duration {
    public let clock: C

    public init(clock: C) {
        self.clock = clock
    }

    public func sleep(for duration: Duration) async {
        // Cancellation is the only error a clock's sleep throws, and it just means stop waiting.
        try? await clock.sleep(for: duration)
    }
}

extension WireSleeper where Self == ClockSleeper<ContinuousClock> {
    /// Real time, on the continuous clock.
    public static var continuous: Self { ClockSleeper(clock: ContinuousClock()) }
}
