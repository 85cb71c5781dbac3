import Foundation

/// Groups interactions into sessions so an incident (a failed attempt and its retries or
/// fallbacks) replays as a unit. A session header, when the client sends one, names the session.
/// Otherwise an interaction joins the session of the same conversation if it started at most
/// `window` after that session's last interaction ended (or while one was still running); else it
/// opens a new session.
///
/// Pure: time comes in as arguments, so tests drive it with a manual clock.
public struct SessionGrouper: Sendable {
    /// How long after a session's last activity a new request of the same conversation still joins it.
    public let window: Duration
    private var open: [ConversationKey: OpenSession] = [:]
    private var assignedSincePrune = 0

    private struct OpenSession: Sendable {
        var id: String
        var lastActivity: ContinuousClock.Instant
    }

    public init(window: Duration = .seconds(30)) {
        self.window = window
    }

    /// The session of an interaction that ran from `start` to `end`, given its header value if any.
    public mutating func session(
        key: ConversationKey, header: String?, start: ContinuousClock.Instant, end: ContinuousClock.Instant,
        newID: () -> String = { UUID().uuidString.lowercased() }
    ) -> String {
        if let header, !header.isEmpty { return header }
        prune(now: end)
        if var session = open[key], start <= session.lastActivity + window {
            session.lastActivity = max(session.lastActivity, end)
            open[key] = session
            return session.id
        }
        let session = OpenSession(id: newID(), lastActivity: end)
        open[key] = session
        return session.id
    }

    /// Sessions still open to new interactions.
    public var openCount: Int { open.count }

    /// Forgets sessions nobody can join any more, now and then, so memory stays bounded.
    private mutating func prune(now: ContinuousClock.Instant) {
        assignedSincePrune += 1
        guard assignedSincePrune >= 256 else { return }
        assignedSincePrune = 0
        // Interactions may finish out of start order, so keep one extra window of slack.
        open = open.filter { now - $0.value.lastActivity <= window * 2 }
    }
}
