import AsyncHTTPClient
import Cassettes
import Dialects
import Foundation
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
        let capture = RequestBodyCapture(limit: configuration.maxCapturedBytes)
        let request = upstreamRequest(resolved, capture: capture, control: control)
        if request.body == nil {
            guard await drainRequestBody() else { return false }
            capture.markEnded()
        }

        context.metrics.exchangeStarted()
        connection.attach(control)
        let outcome = await withTaskGroup(of: RelayOutcome?.self) { group in
            group.addTask {
                let outcome = await relay(request, resolved: resolved, control: control, start: start)
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
        guard let outcome else { return false }  // unreachable: the relay child always returns

        var client = outcome.client
        // Written here, not in the relay: an aborted relay runs cancelled and could not write.
        if case .answer(let status, let text) = client {
            client = await answerLocally(status, text) ? .completed : .gone
        }
        connection.detach()
        var keepAlive = head.isKeepAlive
        switch client {
        case .completed: break
        case .reset:
            keepAlive = false
            await resetClient()
        case .close, .gone, .answer: keepAlive = false
        }
        if keepAlive && !capture.ended { keepAlive = await drainRequestBody() }

        record(
            outcome, request: sent(resolved, request: request, capture: capture), start: start, end: end,
            recordedAt: recordedAt)
        return keepAlive
    }

    // MARK: Relay

    private func relay(
        _ request: HTTPClientRequest, resolved: ResolvedTarget, control: ExchangeControl, start: ContinuousClock.Instant
    ) async -> RelayOutcome {
        var capture = StreamCapture(dialect: Dialect.detect(path: resolved.path), maxCapturedBytes: context.configuration.maxCapturedBytes)
        func offset() -> Int64 { (ContinuousClock.now - start).microseconds }

        if request.body == nil { control.beginWaiting() }
        let response: HTTPClientResponse
        do {
            response = try await context.client.execute(request, deadline: .distantFuture, logger: context.upstreamLogger)
            control.endWaiting()
        } catch {
            control.endWaiting()
            let termination = control.reason?.termination ?? UpstreamErrorClassifier.termination(for: error, afterHead: false)
            let client = answerWithoutUpstream(termination)
            return RelayOutcome(result: capture.finish(termination, at: offset()), termination: termination, client: client)
        }

        let headers = HopByHopHeaders.removing(from: response.headers)
        capture.receiveHead(
            status: Int(response.status.code), headers: headers.map { HTTPField($0.name, $0.value) }, at: offset())
        var clientHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        if connection.isDraining || !head.isKeepAlive { clientHead.headers.replaceOrAdd(name: "connection", value: "close") }
        do {
            try await outbound.write(.head(clientHead))
        } catch {
            return RelayOutcome(result: capture.finish(.clientAborted, at: offset()), termination: .clientAborted, client: .gone)
        }

        var termination = UpstreamTermination.finished
        var iterator = response.body.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer?
            control.beginWaiting()
            do {
                chunk = try await iterator.next()
                control.endWaiting()
            } catch {
                control.endWaiting()
                termination = control.reason?.termination ?? UpstreamErrorClassifier.termination(for: error, afterHead: true)
                break
            }
            guard let chunk else { break }
            let arrival = offset()
            do {
                try await outbound.write(.body(.byteBuffer(chunk)))
            } catch {
                termination = control.reason?.termination ?? .clientAborted
                break
            }
            let frames = capture.receive(chunk.readableBytesView, at: arrival)
            context.metrics.relayed(frames: frames, bytes: chunk.readableBytes)
        }

        let client: ClientDisposition
        switch termination {
        case .finished:
            do {
                try await outbound.write(.end(nil))
                client = .completed
            } catch {
                client = .gone
            }
        case .reset: client = .reset
        case .clientAborted: client = .gone
        case .closedEarly, .timeout, .shutdown, .connectFailed: client = .close
        }
        return RelayOutcome(result: capture.finish(termination, at: offset()), termination: termination, client: client)
    }

    /// What the client gets when no response head came: the upstream's reset mirrored, or the
    /// status a proxy answers (502 unreachable, 504 silent).
    private func answerWithoutUpstream(_ termination: UpstreamTermination) -> ClientDisposition {
        switch termination {
        case .reset: return .reset
        case .clientAborted: return .gone
        case .closedEarly, .shutdown, .finished: return .close
        case .connectFailed: return .answer(.badGateway, "tapedeck record: the upstream could not be reached\n")
        case .timeout: return .answer(.gatewayTimeout, "tapedeck record: the upstream did not answer in time\n")
        }
    }

    // MARK: Client side

    private func upstreamRequest(_ resolved: ResolvedTarget, capture: RequestBodyCapture, control: ExchangeControl)
        -> HTTPClientRequest
    {
        var request = HTTPClientRequest(url: resolved.url)
        request.method = head.method
        var headers = HopByHopHeaders.removing(from: head.headers)
        headers.replaceOrAdd(name: "host", value: resolved.route.hostHeader)
        // The client library frames the body itself; 100-continue is answered by nobody here.
        headers.remove(name: "content-length")
        headers.remove(name: "expect")
        request.headers = headers

        let length = head.headers.first(name: "content-length").flatMap { Int64($0) }
        let chunked = head.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
        if chunked || (length ?? 0) > 0 {
            let metrics = context.metrics
            let stream = RequestBodyStream(inbox: connection.inbox, capture: capture) {
                control.beginWaiting()
                metrics.relayedRequest(bytes: capture.total)
            }
            request.body = .stream(stream, length: chunked ? .unknown : .known(length ?? 0))
        }
        return request
    }

    /// Reads the rest of the request body; false when the client went away first.
    private func drainRequestBody() async -> Bool {
        while let part = await connection.inbox.next() {
            if case .end = part { return true }
        }
        return false
    }

    /// Answers with a short text response of the recorder's own; false when the client is gone.
    private func answerLocally(_ status: HTTPResponseStatus, _ text: String) async -> Bool {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: "\(text.utf8.count)")
        if connection.isDraining || !head.isKeepAlive { headers.add(name: "connection", value: "close") }
        do {
            try await outbound.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
            try await outbound.write(.end(nil))
            return true
        } catch {
            return false
        }
    }

    /// Closes the client connection with a TCP RST, as the upstream did.
    private func resetClient() async {
        guard let provider = connection.channel as? any SocketOptionProvider else { return }
        try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
    }

    // MARK: Recording

    private func sent(_ resolved: ResolvedTarget, request: HTTPClientRequest, capture: RequestBodyCapture) -> SentRequest {
        SentRequest(
            method: head.method.rawValue, target: resolved.target, path: resolved.path,
            headers: request.headers.map { HTTPField($0.name, $0.value) }, body: capture.bytes,
            provider: resolved.route.provider)
    }

    private func record(
        _ outcome: RelayOutcome, request: SentRequest, start: ContinuousClock.Instant, end: ContinuousClock.Instant,
        recordedAt: Date
    ) {
        let configuration = context.configuration
        var tags = configuration.tags
        if outcome.result.overLimit { tags.append("capture_limit") }
        if outcome.termination == .shutdown { tags.append("recorder_shutdown") }
        let view = request.view()
        var interaction = request.interaction(
            result: outcome.result, view: view, recordedAt: recordedAt, durationMicros: (end - start).microseconds,
            sessionID: "", tags: tags)
        let key = view.map { ConversationKey(view: $0) } ?? ConversationKey(fingerprint: interaction.fingerprint)
        let header = head.headers.first(name: configuration.sessionHeader)
        interaction.sessionID = context.session(key: key, header: header, start: start, end: end)
        context.metrics.exchangeFinished(ending: interaction.ending)
        context.sink.record(interaction)
        context.logger.debug(
            "exchange recorded",
            metadata: [
                "method": "\(request.method)", "path": "\(request.path)", "status": "\(interaction.status.map(String.init) ?? "none")",
                "ending": "\(interaction.ending.rawValue)", "frames": "\(interaction.content.frameCount)",
            ])
    }
}
