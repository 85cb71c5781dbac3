import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

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

    func markEnded() { state.withLockedValue { $0.ended = true } }

    var ended: Bool { state.withLockedValue { $0.ended } }
    var bytes: [UInt8] { state.withLockedValue { $0.bytes } }
    var total: Int { state.withLockedValue { $0.total } }
    var overLimit: Bool { state.withLockedValue { $0.overLimit } }
}

/// A request body as the HTTP client pulls it: the connection's parts up to `.end`, each one
/// captured, so the body streams upstream chunk by chunk at the pace the upstream takes it.
struct RequestBodyStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let inbox: PartInbox
    let capture: RequestBodyCapture
    /// Called once the last byte was handed over (the upstream's turn to answer starts).
    let onEnd: @Sendable () -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let stream: RequestBodyStream

        mutating func next() async throws -> ByteBuffer? {
            if stream.capture.ended { return nil }
            guard let part = await stream.inbox.next() else {
                try Task.checkCancellation()
                throw RelayFailure.clientClosedDuringRequestBody
            }
            switch part {
            case .body(let buffer):
                stream.capture.append(buffer)
                return buffer
            case .end:
                stream.capture.markEnded()
                stream.onEnd()
                return nil
            case .head:
                throw RelayFailure.clientClosedDuringRequestBody
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }
}

/// Failures of the client side of an exchange, internal to the relay.
enum RelayFailure: Error {
    case clientClosedDuringRequestBody
}
