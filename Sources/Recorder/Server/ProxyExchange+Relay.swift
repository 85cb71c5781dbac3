import Cassettes
import Dialects
import Foundation
import NIOCore
import NIOHTTP1

extension ProxyExchange {
    /// Sends the request upstream on a pooled or new connection and relays the answer. A pooled
    /// connection found closed before the request went out is replaced once; one that fails after
    /// the request may have reached the upstream is replaced only for idempotent methods (a POST
    /// is never sent twice: a reset after reading it is indistinguishable from a stale connection).
    func relay(
        _ upstreamHead: HTTPRequestHead, resolved: ResolvedTarget, body: RequestBodyCapture, control: ExchangeControl,
        start: ContinuousClock.Instant, onHead: @escaping @Sendable (ResponseHead) async -> Void
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
            let replay = retried && body.ended ? body.complete : nil
            let attempt = await withTaskGroup(of: Delivery.self) { group -> Attempt in
                group.addTask {
                    await sendRequest(upstreamHead, to: upstream, body: body, replay: replay, control: control)
                }
                let attempt = await readResponse(
                    from: upstream, capture: &capture, control: control, start: start, onHead: onHead)
                // A request still being written to a broken connection must not hold the exchange.
                if attempt.termination != .finished { upstream.close() }
                group.cancelAll()
                let delivery = await group.next() ?? .partial
                return Attempt(read: attempt, delivery: delivery)
            }
            let reusable = attempt.read.termination == .finished && attempt.delivery == .sent && attempt.read.keepAlive
            context.upstream.release(upstream, route: resolved.route, reusable: reusable)

            // Not sent: the body (if any) is still the client's to send. Sent again: as captured.
            if reused, !attempt.read.gotHead, control.reason == nil, !retried,
                attempt.read.termination == .closedEarly || attempt.read.termination == .reset,
                attempt.delivery == .notSent || (head.method.isIdempotent && body.complete != nil)
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

    /// One try on one upstream connection.
    struct Attempt {
        var read: ReadResult
        var delivery: Delivery
    }

    /// How much of the request went to the upstream connection.
    enum Delivery: Sendable, Hashable {
        /// None of it: the connection was closed before its head was handed over.
        case notSent
        /// Some of it may have reached the upstream, not all (the client left, the connection failed).
        case partial
        /// All of it, end included.
        case sent
    }

    /// How reading (and relaying) one response went.
    struct ReadResult {
        var termination: UpstreamTermination
        var client: ClientDisposition
        var gotHead: Bool
        /// Whether the upstream connection may carry another request.
        var keepAlive: Bool
        /// Whether the client connection must close after this response (its end is the close).
        var closeClient = false
    }

    /// Ends the capture with `termination`.
    func finished(
        _ capture: inout StreamCapture, _ termination: UpstreamTermination, start: ContinuousClock.Instant,
        client: ClientDisposition
    ) -> RelayOutcome {
        RelayOutcome(
            result: capture.finish(termination, at: (ContinuousClock.now - start).microseconds), termination: termination,
            client: client)
    }

    /// Writes the request upstream: the head, then the body as the client sends it (or, when
    /// sending again, as captured), then the end; says how far it got.
    func sendRequest(
        _ upstreamHead: HTTPRequestHead, to upstream: UpstreamConnection, body: RequestBodyCapture, replay: [UInt8]?,
        control: ExchangeControl
    ) async -> Delivery {
        // A head the connection refuses (closed before it) never reached the upstream: only then
        // is it certain the upstream did not see the request.
        guard upstream.channel.isActive else { return .notSent }
        do {
            try await upstream.write(.head(upstreamHead))
        } catch {
            return .notSent
        }
        do {
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
                guard body.ended else { return .partial }
            }
            try await upstream.write(.end(nil))
            control.beginWaiting()
            return .sent
        } catch {
            return .partial
        }
    }

    /// Reads the response and relays it to the client part by part.
    func readResponse(
        from upstream: UpstreamConnection, capture: inout StreamCapture, control: ExchangeControl,
        start: ContinuousClock.Instant, onHead: @Sendable (ResponseHead) async -> Void
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
        let recordedHead = ResponseHead(
            status: Int(responseHead.status.code), headers: headers.map { HTTPField($0.name, $0.value) }, offsetMicros: offset())
        capture.receiveHead(status: recordedHead.status, headers: recordedHead.headers, at: recordedHead.offsetMicros ?? 0)
        var clientHead = HTTPResponseHead(version: head.version, status: responseHead.status, headers: headers)
        // An HTTP/1.0 client cannot be sent chunks: without a length, the body ends with the connection.
        let closeClient = connection.isDraining || !head.isKeepAlive
            || (head.version.minor == 0 && !headers.contains(name: "content-length"))
        if closeClient { clientHead.headers.replaceOrAdd(name: "connection", value: "close") }
        do {
            try await sendToClient(.head(clientHead))
        } catch {
            return ReadResult(
                termination: control.reason?.termination ?? .clientAborted, client: .gone, gotHead: true, keepAlive: false)
        }
        // After the client has the head (it must not wait on the cassette), before the body.
        await onHead(recordedHead)

        let relay = BodyRelay(
            client: connection.channel, capture: capture, start: start, control: control, metrics: context.metrics)
        let end = await upstream.relayBody(relay)
        capture = relay.capture
        let termination: UpstreamTermination
        var delivered = true
        switch end {
        case .finished(let endDelivered):
            termination = .finished
            delivered = endDelivered
        case .failed(let error): termination = failure(error)
        case .closed, .unexpectedHead: termination = control.reason?.termination ?? .closedEarly
        case .clientGone: termination = control.reason?.termination ?? .clientAborted
        }
        let client: ClientDisposition
        switch termination {
        case .finished: client = delivered ? .completed : .gone
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
    func answerWithoutUpstream(_ termination: UpstreamTermination) -> ClientDisposition {
        switch termination {
        case .reset: return .reset
        case .clientAborted: return .gone
        case .closedEarly, .shutdown, .finished: return .close
        case .connectFailed: return .answer(.badGateway, "tapedeck record: the upstream could not be reached\n")
        case .timeout: return .answer(.gatewayTimeout, "tapedeck record: the upstream did not answer in time\n")
        }
    }
}

extension HTTPMethod {
    /// Whether sending the request twice has the effect of sending it once (RFC 9110, 9.2.2), so
    /// a proxy may send it again when a reused connection failed before answering.
    var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE: return true
        default: return false
        }
    }
}
