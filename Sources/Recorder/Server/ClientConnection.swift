import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One client connection: its inbox of request parts, the exchange being relayed on it, and
/// whether it should close after that exchange (shutdown).
final class ClientConnection: Sendable {
    private struct State {
        var active: ExchangeControl?
        var busy = false
        var draining = false
        var gone = false
    }

    let channel: any Channel
    /// Request parts from the reader; a few at most, so a client's body is read at the upstream's pace.
    let inbox = AsyncInbox<HTTPServerRequestPart>(capacity: 4)
    private let state = NIOLockedValueBox(State())

    init(channel: any Channel) {
        self.channel = channel
    }

    /// The client closed its side (or the connection failed): stop the exchange in flight.
    func clientGone() {
        let active = state.withLockedValue { state -> ExchangeControl? in
            state.gone = true
            return state.active
        }
        active?.abort(.clientGone)
    }

    /// A request head arrived and is being handled.
    func beginRequest() { state.withLockedValue { $0.busy = true } }

    /// The relay of this exchange starts; if the client is already gone it is aborted at once.
    func attach(_ control: ExchangeControl) {
        let gone = state.withLockedValue { state -> Bool in
            state.active = control
            return state.gone
        }
        if gone { control.abort(.clientGone) }
    }

    /// The relay of the exchange ended; nothing is left to abort.
    func detach() { state.withLockedValue { $0.active = nil } }

    /// The exchange ended; true when the connection may wait for another request.
    func endRequest() -> Bool {
        state.withLockedValue { state in
            state.active = nil
            state.busy = false
            return !state.draining && !state.gone
        }
    }

    /// Whether the recorder is shutting down (responses then say `connection: close`).
    var isDraining: Bool { state.withLockedValue { $0.draining } }

    /// Shutdown began: an idle connection closes now, a busy one after its exchange.
    func drain() {
        let idle = state.withLockedValue { state -> Bool in
            state.draining = true
            return !state.busy
        }
        if idle { channel.close(promise: nil) }
    }

    /// The shutdown deadline passed: cut the exchange in flight.
    func abortForShutdown() {
        state.withLockedValue { $0.active }?.abort(.shutdown)
    }
}
