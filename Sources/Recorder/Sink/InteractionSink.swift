import Cassettes

/// Where finished interactions go. `record` must return at once and never fail: the relay calls
/// it on the hot path and traffic must not depend on storage.
public protocol InteractionSink: Sendable {
    /// Hands over one interaction (unredacted; the sink redacts before anything is queued).
    func record(_ interaction: Interaction)
    /// Interactions accepted but not yet written.
    var queueDepth: Int { get }
    /// Writes everything accepted so far, then stops accepting.
    func close() async
}
