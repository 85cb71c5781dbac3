import NIOConcurrencyHelpers
import NIOCore

/// Every open connection of one server, and the counters that name connections and requests,
/// so a stop can reach them all.
final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [Int: WireConnection] = [:]
        var stopping = false
        var nextConnectionID = 1
        var nextRequestID = 1
    }

    private let state = NIOLockedValueBox(State())

    /// Registers a newly accepted channel; nil once a stop has begun, when it must be refused.
    func open(_ channel: any Channel) -> WireConnection? {
        state.withLockedValue { state in
            guard !state.stopping else { return nil }
            let connection = WireConnection(id: state.nextConnectionID, channel: channel)
            state.nextConnectionID += 1
            state.connections[connection.id] = connection
            return connection
        }
    }

    /// Forgets a connection that is closed and has no exchange left running.
    func remove(_ connection: WireConnection) {
        state.withLockedValue { _ = $0.connections.removeValue(forKey: connection.id) }
    }

    func nextRequestID() -> Int {
        state.withLockedValue { state in
            defer { state.nextRequestID += 1 }
            return state.nextRequestID
        }
    }

    /// Refuses new connections from now on and returns those still open.
    func beginStop() -> [WireConnection] {
        state.withLockedValue { state in
            state.stopping = true
            return state.connections.values.sorted { $0.id < $1.id }
        }
    }
}
