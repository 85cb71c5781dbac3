import Dialects

/// Decides an interaction's `Ending` from what the relay observed. Pure, so every combination is
/// tested without sockets.
///
/// The upstream's own behaviour wins over what happened on the client side: an HTTP error status
/// first, then an in-band error event, then a client abort or shutdown, then transport failures,
/// and last whether the stream reached its dialect's terminator.
public enum EndingPolicy {
    /// What the relay saw of one response.
    public struct Observation: Sendable, Hashable {
        /// The status, when a head arrived.
        public var status: Int?
        /// Whether an event the dialect classifies as an error passed.
        public var sawInBandError: Bool
        /// Whether the response was an event stream.
        public var isEventStream: Bool
        /// For event streams of a known dialect: whether its terminator passed; nil when unknown.
        public var sawTerminator: Bool?
        public var termination: UpstreamTermination

        public init(
            status: Int?, sawInBandError: Bool = false, isEventStream: Bool = false, sawTerminator: Bool? = nil,
            termination: UpstreamTermination
        ) {
            self.status = status
            self.sawInBandError = sawInBandError
            self.isEventStream = isEventStream
            self.sawTerminator = sawTerminator
            self.termination = termination
        }
    }

    public static func ending(for observation: Observation) -> Ending {
        if let status = observation.status, status >= 400 { return .httpError }
        if observation.sawInBandError { return .inBandError }
        switch observation.termination {
        case .clientAborted, .shutdown: return .clientAborted
        case .reset, .connectFailed: return .reset
        case .timeout: return .timeout
        case .closedEarly:
            if observation.status == nil { return .truncated }
            // A stream that already delivered its terminator lost nothing a client reads.
            return observation.isEventStream && observation.sawTerminator == true ? .complete : .truncated
        case .finished:
            // A proper end of body without the terminator is `drop_terminator`: still truncated.
            return observation.isEventStream && observation.sawTerminator == false ? .truncated : .complete
        }
    }
}
