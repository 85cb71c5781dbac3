import NIOConcurrencyHelpers
import NIOCore

/// The bytes of one request body, kept for the cassette (up to a limit) while they stream upstream.
final class RequestBodyCapture: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var total = 0
        var ended = false
        var overLimit = false
    }

    private let state = NIOLockedValueBox(State())
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func append(_ buffer: ByteBuffer) {
        state.withLockedValue { state in
            state.total += buffer.readableBytes
            guard !state.overLimit else { return }
            guard state.bytes.count + buffer.readableBytes <= limit else {
                state.overLimit = true
                return
            }
            state.bytes.append(contentsOf: buffer.readableBytesView)
        }
    }

    /// The client sent the whole body.
    func markEnded() { state.withLockedValue { $0.ended = true } }

    var ended: Bool { state.withLockedValue { $0.ended } }
    var bytes: [UInt8] { state.withLockedValue { $0.bytes } }
    var total: Int { state.withLockedValue { $0.total } }
    /// Whether the body outgrew the limit (only its start is kept).
    var overLimit: Bool { state.withLockedValue { $0.overLimit } }

    /// The whole body, when it ended and was kept entirely (so it can be sent again).
    var complete: [UInt8]? { state.withLockedValue { $0.ended && !$0.overLimit ? $0.bytes : nil } }
}
