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

        context.metrics.exchangeStarted()
        connection.attach(control)
        let outcome = await withTaskGroup(of: RelayOutcome?.self) { group in
            group.addTask {
                let outcome = await relay(upstreamHead, resolved: resolved, body: body, control: control, start: start)
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
        // Reading the request, redaction and queueing cost CPU the event loop's streams should not wait on.
        if #available(macOS 15.0, *) {
            await withTaskExecutorPreference(globalConcurrentExecutor) {
                record(outcome, request: request, requestOverLimit: requestOverLimit, start: start, end: end, recordedAt: recordedAt)
            }
        } else {
            record(outcome, request: request, requestOverLimit: requestOverLimit, start: start, end: end, recordedAt: recordedAt)
        }
        return keepAlive
    }

    // MARK: Relay

    private func relay(
        _ upstreamHead: HTTPRequestHead, resolved: ResolvedTarget, body: RequestBodyCapture, control: ExchangeControl,
        start: ContinuousClock.Instant
    ) async -> RelayOutcome {
        var capture = StreamCapture(
            dialect: Dialect.detect(path: resolved.path), maxCapturedBytes: context.configuration.maxCapturedBytes)
        var retried = false
        while true {
            let upstream: UpstreamConnection
            let reused: Bool
            // Connecting (TCP and TLS) is waiting on the upstream too.
            control.beginWaiting()
            do {
                (upstream, reused) = try await context.upstream.lease(
                    resolved.route, on: connection.channel.eventLoop, reuse: !retried)
                control.endWaiting()
            } catch {
                control.endWaiting()
                let termination = control.reason?.termination ?? UpstreamErrorClassifier.connectTermination(for: error)
                return finished(&capture, termination, start: start, client: answerWithoutUpstream(termination))
            }
            let replay = retried ? body.complete : nil
            let attempt = await withTaskGroup(of: Bool.self) { group -> Attempt in
                group.addTask {
                    await sendRequest(upstreamHead, to: upstream, body: body, replay: replay, control: control)
                }
                let attempt = await readResponse(from: upstream, capture: &capture, control: control, start: start)
                // A request still being written to a broken connection must not hold the exchange.
                if attempt.termination != .finished { upstream.close() }
                group.cancelAll()
                let sent = await group.next() ?? false
                return Attempt(read: attempt, requestSent: sent)
            }
            let reusable = attempt.read.termination == .finished && attempt.requestSent && attempt.read.keepAlive
            context.upstream.release(upstream, route: resolved.route, reusable: reusable)

            // A pooled connection the upstream had closed fails before any answer: send again on
            // a new one, when the whole body is at hand.
            if reused, !attempt.read.gotHead, control.reason == nil, !retried,
                attempt.read.termination == .closedEarly || attempt.read.termination == .reset,
                body.complete != nil
            {
                retried = true
                continue
            }
            let client = attempt.read.gotHead ? attempt.read.client : answerWithoutUpstream(attempt.read.termination)
            var outcome = finished(&capture, attempt.read.termination, start: start, client: client)
            outcome.closeClient = attempt.read.closeClient
            return outcome
        }
    }

    private struct Attempt {
        var read: ReadResult
        var requestSent: Bool
    }

    private struct ReadResult {
        var termination: UpstreamTermination
        var client: ClientDisposition
        var gotHead: Bool
        /// Whether the upstream connection may carry another request.
        var keepAlive: Bool
        /// Whether the client connection must close after this response (its end is the close).
        var closeClient = false
    }

    private func finished(
        _ capture: inout StreamCapture, _ termination: UpstreamTermination, start: ContinuousClock.Instant,
        client: ClientDisposition
    ) -> RelayOutcome {
        RelayOutcome(
            result: capture.finish(termination, at: (ContinuousClock.now - start).microseconds), termination: termination,
            client: client)
    }

    /// Writes the request upstream: the head, then the body as the client sends it (or, when
    /// sending again, as captured), then the end. True when all of it was written.
    private func sendRequest(
        _ upstreamHead: HTTPRequestHead, to upstream: UpstreamConnection, body: RequestBodyCapture, replay: [UInt8]?,
        control: ExchangeControl
    ) async -> Bool {
        do {
            try await upstream.write(.head(upstreamHead))
            if let replay {
                if !replay.isEmpty { try await upstream.write(.body(.byteBuffer(ByteBuffer(bytes: replay)))) }
            } else if !body.ended {
                while let part = try await connection.inbox.next() {
                    if case .body(let buffer) = part {
                        body.append(buffer)
                        try await upstream.write(.body(.byteBuffer(buffer)))
                    } else {
                        body.markEnded()
                        break
                    }
                }
                // The client left before its body ended: the upstream gets no end either.
                guard body.ended else { return false }
            }
            try await upstream.write(.end(nil))
            control.beginWaiting()
            return true
        } catch {
            return false
        }
    }

    /// Reads the response and relays it to the client part by part.
    private func readResponse(
        from upstream: UpstreamConnection, capture: inout StreamCapture, control: ExchangeControl,
        start: ContinuousClock.Instant
    ) async -> ReadResult {
        func offset() -> Int64 { (ContinuousClock.now - start).microseconds }
        func failure(_ error: any Error) -> UpstreamTermination {
            control.reason?.termination ?? UpstreamErrorClassifier.termination(for: error)
        }
        if !hasBody { control.beginWaiting() }

        var responseHead: HTTPResponseHead?
        do {
            while responseHead == nil {
                guard let part = try await upstream.next() else {
                    return ReadResult(termination: .closedEarly, client: .close, gotHead: false, keepAlive: false)
                }
                // Interim 1xx answers are the connection's business, not the client's.
                if case .head(let head) = part, !(100..<200).contains(head.status.code) || head.status == .switchingProtocols {
                    responseHead = head
                }
            }
        } catch {
            control.endWaiting()
            return ReadResult(termination: failure(error), client: .close, gotHead: false, keepAlive: false)
        }
        control.endWaiting()
        guard let responseHead else { return ReadResult(termination: .closedEarly, client: .close, gotHead: false, keepAlive: false) }

        let headers = HopByHopHeaders.removing(from: responseHead.headers)
        capture.receiveHead(
            status: Int(responseHead.status.code), headers: headers.map { HTTPField($0.name, $0.value) }, at: offset())
        var clientHead = HTTPResponseHead(version: head.version, status: responseHead.status, headers: headers)
        // An HTTP/1.0 client cannot be sent chunks: without a length, the body ends with the connection.
        let closeClient = connection.isDraining || !head.isKeepAlive
            || (head.version.minor == 0 && !headers.contains(name: "content-length"))
        if closeClient { clientHead.headers.replaceOrAdd(name: "connection", value: "close") }
        do {
            try await outbound.write(.head(clientHead))
        } catch {
            return ReadResult(
                termination: control.reason?.termination ?? .clientAborted, client: .gone, gotHead: true, keepAlive: false)
        }

        var termination = UpstreamTermination.finished
        var batch: [HTTPServerResponsePart] = []
        reading: while true {
            var part: HTTPClientResponsePart?
            control.beginWaiting()
            do {
                part = try await upstream.next()
                control.endWaiting()
            } catch {
                control.endWaiting()
                termination = failure(error)
                break
            }
            // Whatever else already arrived goes out in the same write: one flush, nothing waits.
            let arrival = offset()
            var ended = false
            batch.removeAll(keepingCapacity: true)
            var frames = 0
            var bytes = 0
            while let current = part {
                switch current {
                case .body(let chunk):
                    batch.append(.body(.byteBuffer(chunk)))
                    frames += capture.receive(chunk.readableBytesView, at: arrival)
                    bytes += chunk.readableBytes
                case .end:
                    ended = true
                case .head:
                    termination = .closedEarly
                    ended = true
                }
                if ended { break }
                part = upstream.nextIfAvailable()
            }
            if part == nil && !ended && batch.isEmpty {
                termination = .closedEarly
                break
            }
            if !batch.isEmpty {
                do {
                    try await outbound.write(contentsOf: batch)
                } catch {
                    termination = control.reason?.termination ?? .clientAborted
                    break
                }
                context.metrics.relayed(frames: frames, bytes: bytes)
            }
            if ended { break }
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
        return ReadResult(
            termination: termination, client: client, gotHead: true, keepAlive: responseHead.isKeepAlive,
            closeClient: closeClient)
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

    /// Whether the client's request carries a body (announced by its framing headers).
    private var hasBody: Bool {
        if head.headers[canonicalForm: "transfer-encoding"].contains(where: { $0.lowercased() == "chunked" }) { return true }
        return (head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0) > 0
    }

    /// The request head as sent upstream: end-to-end headers kept in order, `Host` naming the
    /// upstream, the client's `Content-Length` kept (a chunked body is chunked again by the encoder).
    private func upstreamRequestHead(_ resolved: ResolvedTarget) -> HTTPRequestHead {
        var headers = HopByHopHeaders.removing(from: head.headers)
        headers.replaceOrAdd(name: "host", value: resolved.route.hostHeader)
        // 100-continue is answered by nobody here; the body follows the head at once.
        headers.remove(name: "expect")
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: resolved.target, headers: headers)
    }

    /// Reads the rest of the request body; false when the client went away first.
    private func drainRequestBody() async -> Bool {
        while let part = try? await connection.inbox.next() {
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

    private func sent(_ resolved: ResolvedTarget, head upstreamHead: HTTPRequestHead, body: RequestBodyCapture) -> SentRequest {
        SentRequest(
            method: head.method.rawValue, target: resolved.target, path: resolved.path,
            headers: upstreamHead.headers.map { HTTPField($0.name, $0.value) }, body: body.bytes,
            provider: resolved.route.provider)
    }

    private func record(
        _ outcome: RelayOutcome, request: SentRequest, requestOverLimit: Bool, start: ContinuousClock.Instant,
        end: ContinuousClock.Instant, recordedAt: Date
    ) {
        let configuration = context.configuration
        var tags = configuration.tags
        if outcome.result.overLimit || requestOverLimit { tags.append("capture_limit") }
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
        logRecorded(interaction)
    }

    private func logRecorded(_ interaction: Interaction) {
        var status = "none"
        if let code = interaction.status { status = String(code) }
        context.logger.debug(
            "exchange recorded",
            metadata: [
                "method": "\(interaction.request.method)", "path": "\(interaction.endpoint)", "status": "\(status)",
                "ending": "\(interaction.ending.rawValue)", "frames": "\(interaction.content.frameCount)",
            ])
    }
}
