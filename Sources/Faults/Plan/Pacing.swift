/// How recorded time becomes real time during a replay: recorded gaps divided by a speed, or none.
public enum Pacing: Hashable, Sendable {
    /// Recorded offsets divided by `speed` (`1` is real time, `10` ten times faster).
    case recorded(speed: Double)
    /// No delay at all (`--speed max`).
    case none

    /// Real time: the recorded gaps as they were.
    public static let realTime = Pacing.recorded(speed: 1)

    /// Reads a `--speed` value: a positive number or `max`.
    public init(speed text: String) throws(PacingError) {
        let trimmed = text.trimmedSpaces
        if trimmed == "max" {
            self = .none
            return
        }
        guard let speed = Double(trimmed), speed.isFinite, speed > 0 else {
            throw PacingError.invalidSpeed(text)
        }
        self = .recorded(speed: speed)
    }

    /// A recorded offset (µs) on the replay's time line. Speeds that are not positive and finite
    /// send without delay, as `max` does.
    public func scaled(_ micros: Int64) -> Int64 {
        switch self {
        case .none:
            return 0
        case .recorded(let speed):
            guard speed.isFinite, speed > 0, micros > 0 else { return 0 }
            let value = (Double(micros) / speed).rounded()
            return value >= Double(Int64.max) ? Int64.max : Int64(value)
        }
    }
}

/// Why a `--speed` value was refused.
public enum PacingError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidSpeed(String)

    public var description: String {
        switch self {
        case .invalidSpeed(let text):
            return "speed '\(text)' must be a positive number (1 is real time) or 'max'"
        }
    }
}
