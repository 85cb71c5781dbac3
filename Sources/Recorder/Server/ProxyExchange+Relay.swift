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

    /// Relays the response to the client part by part, from the upstream connection's handler;
    /// records the head once the client has it, without holding the relay.
    func readResponse(
        from upstream: UpstreamConnection, capture: inout StreamCapture, control: ExchangeControl,
        start: ContinuousClock.Instant, onHead: @escaping @Sendable (ResponseHead) async -> Void
    ) async -> ReadResult {
        if !hasBody { control.beginWaiting() }
        let request = head
        let connection = connection
        let relay = ResponseRelay(
            client: connection.channel, capture: capture, start: start, control: control, metrics: context.metrics,
            translate: { ClientResponseHead(upstream: $0, request: request, draining: connection.isDraining) })
        let end = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                if let recorded = try? await relay.headSent.get() { await onHead(recorded) }
            }
            return await upstream.relay(relay)
        }
        capture = relay.capture
        let gotHead = relay.clientHead != nil
        let termination: UpstreamTermination
        var delivered = true
        switch end {
        case .finished(let endDelivered):
            termination = .finished
            delivered = endDelivered
        case .failed(let error): termination = control.reason?.termination ?? UpstreamErrorClassifier.termination(for: error)
        case .closed, .outOfOrder: termination = control.reason?.termination ?? .closedEarly
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
            termination: termination, client: client, gotHead: gotHead, keepAlive: relay.upstreamKeepAlive,
            closeClient: relay.clientHead?.closesClient ?? false)
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
