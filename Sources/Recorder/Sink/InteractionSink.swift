import Cassettes

/// Where finished interactions go. `record` must return at once and never fail: the relay calls
/// it on the hot path and traffic must not depend on storage.
public protocol InteractionSink: Sendable {
    /// Hands over one interaction (unredacted; the sink redacts before anything is queued).
    func record(_ interaction: Interaction)
    /// Hands over an exchange under way (request, response head; unredacted), so that it shows
    /// as `interrupted` if the recorder dies before `record` stores it with the same id.
    func begin(_ interaction: Interaction)
    /// Interactions accepted but not yet written.
    var queueDepth: Int { get }
    /// Writes everything accepted so far, then stops accepting.
    func close() async
}

extension InteractionSink {
    /// Sinks that do not survive a crash have nothing to keep of an exchange under way.
    public func begin(_ interaction: Interaction) {}
}
