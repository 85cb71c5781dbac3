import Foundation
import NIOCore

/// Tells a request in progress that its client went away: the connection closed, or the client
/// closed its sending side (the gateway takes a half-close during a response as a hang-up, as
/// proxies commonly do, since real HTTP clients never half-close while waiting for an answer).
final class ClientHangupWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var hungUp = false
    private var action: (@Sendable () -> Void)?

    /// Runs `action` once when the client hangs up, at once if it already has.
    func onHangup(_ action: @escaping @Sendable () -> Void) {
        let now: Bool = lock.withLock {
            if hungUp { return true }
            self.action = action
            return false
        }
        if now { action() }
    }

    /// Forgets the registered action (the response is complete).
    func clear() {
        lock.withLock { action = nil }
    }

    fileprivate func hangUp() {
        let pending: (@Sendable () -> Void)? = lock.withLock {
            hungUp = true
            defer { action = nil }
            return action
        }
        pending?()
    }
}

/// Sits in every gateway connection's pipeline and trips the connection's `ClientHangupWatch`
/// when the client closes its side or the connection goes down. Every part passes through unread.
final class ClientHangupHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let watch = ClientHangupWatch()

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { watch.hangUp() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        watch.hangUp()
        context.fireChannelInactive()
    }

    /// The watch of the connection `channel`, or nil where the pipeline has no handler (Hummingbird's
    /// `.router` test mode has no real connection).
    static func watch(of channel: any Channel) async -> ClientHangupWatch? {
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ClientHangupHandler.self).watch
        }.get()
    }
}
