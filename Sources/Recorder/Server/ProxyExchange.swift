import Cassettes
import Dialects
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One request through the recorder: forwards it upstream as it arrives, relays the response
/// chunk by chunk as it arrives (never faster than the client takes it), tees everything into a
/// `StreamCapture`, and hands the finished interaction to the sink.
struct ProxyExchange {
    let context: RecorderContext
    let connection: ClientConnection
    let outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    let head: HTTPRequestHead
    /// The id of the interaction this exchange stores, fixed at the start so its open row (see
    /// `begin`) and the finished interaction are one.
    let interactionID = UUID().uuidString.lowercased()

    /// What the client connection is left with after an exchange.
    enum ClientDisposition: Sendable {
        /// The response ended properly; the connection may carry another request.
        case completed
        /// The response was cut: close the connection (the client sees an abrupt end).
        case close
        /// The upstream reset: reset the client connection too.
        case reset
        /// The client is gone.
        case gone
        /// No upstream head came: answer with the recorder's own status (502, 504).
        case answer(HTTPResponseStatus, String)
    }

    struct RelayOutcome: Sendable {
        var result: StreamCapture.Result
        var termination: UpstreamTermination
        var client: ClientDisposition
        /// The response told the client the connection closes after it.
        var closeClient = false
    }

    /// Relays and records the exchange; true when the connection may carry another request.
    func run() async -> Bool {
        let configuration = context.configuration
        guard let resolved = configuration.routes.resolve(head.uri) else {
            guard await drainRequestBody() else { return false }
            let path = String(head.uri.prefix { $0 != "?" })
            return await answerLocally(.notFound, "tapedeck record: no --upstream takes \(path)\n") && head.isKeepAlive
        }
        let start = ContinuousClock.now
        let recordedAt = Date()
        let control = ExchangeControl(eventLoop: connection.channel.eventLoop, idleTimeout: .init(configuration.idleTimeout))
        let body = RequestBodyCapture(limit: configuration.maxCapturedBytes)
        let upstreamHead = upstreamRequestHead(resolved)
        if !hasBody {
            guard await drainRequestBody() else { return false }
            body.markEnded()
        }

        let reading = NIOLockedValueBox<RequestReading?>(nil)
        context.metrics.exchangeStarted()
        connection.attach(control)
        let outcome = await withTaskGroup(of: RelayOutcome?.self) { group in
            group.addTask {
                let outcome = await relay(
                    upstreamHead, resolved: resolved, body: body, control: control, start: start,
                    onHead: { response in
                        let complete = body.ended
                        let request = sent(resolved, head: upstreamHead, body: body)
                        await offEventLoop {
                            let read = begin(request: request, response: response, recordedAt: recordedAt)
                            // Read once per exchange, unless the body was still arriving.
                            if complete { reading.withLockedValue { $0 = read } }
                        }
                    })
                control.finish()
                return outcome
            }
            group.addTask {
                _ = await control.outcome()
                return nil
            }
            var outcome: RelayOutcome?
            for await value in group {
                if let value {
                    outcome = value
                } else if control.reason != nil {
                    group.cancelAll()
                }
            }
            return outcome
        }
        let end = ContinuousClock.now
        connection.detach()
        guard let outcome else { return false }  // unreachable: the relay child always returns

        var client = outcome.client
        // Written here, not in the relay: an aborted relay runs cancelled and could not write.
        if case .answer(let status, let text) = client {
            client = await answerLocally(status, text) ? .completed : .gone
        }
        var keepAlive = head.isKeepAlive && !outcome.closeClient
        switch client {
        case .completed: break
        case .reset:
            keepAlive = false
            await resetClient()
        case .close, .gone, .answer: keepAlive = false
        }
        if keepAlive && !body.ended { keepAlive = await drainRequestBody() }

        context.metrics.relayedRequest(bytes: body.total)
        let request = sent(resolved, head: upstreamHead, body: body)
        let requestOverLimit = body.overLimit
        let read = reading.withLockedValue { $0 }
        await offEventLoop {
            record(
                outcome, request: request, reading: read, requestOverLimit: requestOverLimit, start: start, end: end,
                recordedAt: recordedAt)
        }
        return keepAlive
    }

    /// Runs `work` off the event loop: reading the request, redaction and queueing cost CPU the
    /// event loop's streams should not wait on.
    func offEventLoop(_ work: @Sendable () -> Void) async {
        if #available(macOS 15.0, *) {
            await withTaskExecutorPreference(globalConcurrentExecutor) { work() }
        } else {
            work()
        }
    }
}
