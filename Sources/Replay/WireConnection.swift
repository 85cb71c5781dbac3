#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One accepted TCP connection as the executor sees it: thread-safe writes and the three ways
/// the server can end it (close, reset, wait), plus who closed it.
final class WireConnection: Sendable {
    /// Why the server itself closed the connection; none means the client closed it.
    enum CloseCause: Sendable {
        case plan
        case serverStopped
        /// The client broke the rules (too many pipelined requests) and was cut off.
        case misbehavingClient
    }

    /// What the connection is doing, which decides what a server stop does to it.
    enum Phase: Sendable {
        case idle
        case responding
        case hung
    }

    private struct State {
        var closeCause: CloseCause?
        var phase: Phase = .idle
        var stopping = false
        var interrupted = false
        var exchange: Task<Void, Never>?
        var pause: Task<Void, Never>?
    }

    let id: Int
    let channel: any Channel
    private let state = NIOLockedValueBox(State())

    init(id: Int, channel: any Channel) {
        self.id = id
        self.channel = channel
    }

    var isActive: Bool { channel.isActive }

    /// Why the server closed the connection, or nil if it is open or the client closed it.
    var closeCause: CloseCause? { state.withLockedValue { $0.closeCause } }

    /// The running exchange, for a stop to wait on.
    var exchange: Task<Void, Never>? { state.withLockedValue { $0.exchange } }

    /// Writes one response part and returns once it has reached the socket, so a slow reader
    /// holds the plan back instead of the server buffering it.
    func write(_ part: HTTPServerResponsePart) async throws {
        try await channel.writeAndFlush(part).get()
    }

    /// Closes the connection, remembering that the server did it and why.
    func close(cause: CloseCause) async {
        markClosed(by: cause)
        try? await channel.close().get()
    }

    /// Closes a connection the client has already broken, leaving it counted as the client's doing.
    func closeWithoutCause() async {
        try? await channel.close().get()
    }

    /// Aborts the connection with a TCP RST: SO_LINGER {1, 0} makes the kernel's close discard
    /// unsent data and send RST instead of FIN.
    func reset() async throws {
        markClosed(by: .plan)
        guard let options = channel as? any SocketOptionProvider else { throw WireConnectionError.cannotReset }
        try await options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        try? await channel.close().get()
    }

    /// Returns once the connection is closed, by either side.
    func closed() async {
        try? await channel.closeFuture.get()
    }

    /// Marks an exchange as running; the task is attached separately because it can only be
    /// created after the phase is set (it may finish at once).
    func beginExchange() {
        state.withLockedValue { $0.phase = .responding }
    }

    func attach(_ exchange: Task<Void, Never>) {
        state.withLockedValue { $0.exchange = exchange }
    }

    /// Marks the exchange as over; returns false if the server is stopping and the connection
    /// must be closed instead of kept alive.
    func endExchange() -> Bool {
        state.withLockedValue { state in
            state.phase = .idle
            return !state.stopping
        }
    }

    /// Marks the plan as hanging; returns false if the server is already stopping, in which case
    /// the hang ends at once.
    func beginHang() -> Bool {
        state.withLockedValue { state in
            state.phase = .hung
            return !state.stopping
        }
    }

    /// Whether a stop has begun, so a finished response should not keep the connection alive.
    var isStopping: Bool { state.withLockedValue { $0.stopping } }

    /// Marks the connection as part of a stop and returns its phase at that moment.
    func beginStop() -> Phase {
        state.withLockedValue { state in
            state.stopping = true
            return state.phase
        }
    }

    /// Closes the connection without waiting for it to be closed.
    func closeNow(cause: CloseCause) {
        markClosed(by: cause)
        channel.close(promise: nil)
    }

    /// Waits out one pause, cut short as soon as the connection closes.
    ///
    /// The pause runs in a task of its own so that only the wait is cancelled, never the
    /// exchange around it: the responder's report must still run normally afterwards.
    func pause(for duration: Duration, using sleeper: any WireSleeper) async {
        let pause = Task { await sleeper.sleep(for: duration) }
        let interrupted = state.withLockedValue { state in
            state.pause = pause
            return state.interrupted
        }
        if interrupted { pause.cancel() }
        await pause.value
        state.withLockedValue { $0.pause = nil }
    }

    /// Records that the channel has closed and cuts short the pause in progress, if any.
    func interrupt() {
        let pause = state.withLockedValue { state in
            state.interrupted = true
            return state.pause
        }
        pause?.cancel()
    }

    private func markClosed(by cause: CloseCause) {
        state.withLockedValue { state in
            if state.closeCause == nil && channel.isActive { state.closeCause = cause }
        }
    }
}

/// Failures of the connection mechanics themselves.
enum WireConnectionError: Error, CustomStringConvertible {
    case cannotReset

    var description: String {
        switch self {
        case .cannotReset: "the connection's channel does not allow setting SO_LINGER, so it cannot be reset"
        }
    }
}
