import Hummingbird
import NIOCore

/// The per-request context of the gateway: Hummingbird's basics plus the connection the request
/// came on, so a client hanging up can be noticed while its answer is still being routed.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's connection (a test channel in Hummingbird's `.router` test mode).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
