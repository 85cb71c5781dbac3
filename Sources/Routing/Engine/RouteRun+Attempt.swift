import Dialects
import Foundation
import SSE

/// What one attempt produced.
struct AttemptRun {
    /// The attempt's own outcome in the upstream's dialect, partial when it failed.
    var outcome: Outcome
    var status: Int?
    var error: OutcomeError?
    var retryAfter: Duration?
    var bytesReceived = 0
    /// A restart answer that did not reproduce the text already sent.
    var diverged = false

    init(outcome: Outcome, status: Int? = nil, error: OutcomeError? = nil) {
        self.outcome = outcome
        self.status = status
        self.error = error
    }
}

/// How far a tool call's arguments have been seen and forwarded within one attempt.
private struct ToolProgress {
    /// The arguments as last reported by the accumulator.
    var observed: String
    /// The arguments text the client has received.
    var forwarded = ""
}

extension RouteRun {
    /// Sends one request upstream and follows its answer to the end, a failure, or a deadline,
    /// forwarding content to the client as it arrives (in stream mode).
    mutating func runAttempt(_ request: UpstreamRequest, timeouts: AttemptTimeouts, fallbackModel: String) async -> AttemptRun {
        // Deadlines count from here: the reader's pump starts talking to the transport at once.
        let started = router.routerClock.now()
        let events = router.routerTransport.send(request)
        defer { events.cancel() }
        return await DeadlineReader.reading(events, clock: router.routerClock) { reader in
            if request.stream {
                return await followStream(
                    reader, startedAt: started, dialect: request.dialect, timeouts: timeouts, fallbackModel: fallbackModel)
            }
            return await followBody(reader, startedAt: started, dialect: request.dialect, timeouts: timeouts)
        }
    }

    private mutating func followStream(
        _ events: DeadlineReader, startedAt started: Duration, dialect: Dialect, timeouts: AttemptTimeouts, fallbackModel: String
    ) async -> AttemptRun {
        let codec = dialect.codec
        var run = AttemptRun(outcome: Outcome(dialect: dialect))
        var headers: [HTTPField] = []
        var errorBody: [UInt8] = []
        var parser = SSEParser()
        var accumulator = codec.makeAccumulator()
        var textSeen = 0
        var tools: [ToolProgress] = []
        var sawContent = false
        var lastEvent = started
        /// Set when a dialect without a terminator event reported its end; the rest is read for usage.
        var finished = false

        while true {
            let idleDeadline = lastEvent + timeouts.idle
            let deadline = sawContent ? idleDeadline : min(started + timeouts.firstToken, idleDeadline)
            let next = await events.next(until: deadline)
            if finished {
                switch next {
                case .deadline, .event(.end), .event(nil), .event(.failure): return settled(run, accumulator.outcome())
                default: break
                }
            }
            switch next {
            case .deadline:
                let message = !sawContent && started + timeouts.firstToken <= idleDeadline
                    ? "no content within the first-token timeout of \(timeouts.firstToken)"
                    : "the stream stalled for longer than the idle timeout of \(timeouts.idle)"
                run.error = OutcomeError(kind: .timeout, status: nil, message: message)
                return settled(run, accumulator.outcome())
            case .event(.head(let status, let fields)):
                run.status = status
                headers = fields
                lastEvent = events.lastArrival
            case .event(.frame(let bytes)), .event(.body(let bytes)):
                run.bytesReceived += bytes.count
                lastEvent = events.lastArrival
                if let status = run.status, !(200..<300).contains(status) {
                    if errorBody.count < Self.errorBodyLimit { errorBody += bytes.prefix(Self.errorBodyLimit - errorBody.count) }
                    continue
                }
                for frame in parser.feed(bytes) {
                    guard let event = frame.event else { continue }
                    accumulator.consume(event)
                    // A local copy only: keeping the outcome across the next `consume` would make
                    // every append copy the whole text.
                    let current = accumulator.outcome()
                    let model = current.model ?? fallbackModel

                    let text = current.text
                    if text.utf8.count > textSeen {
                        let piece = String(decoding: text.utf8.dropFirst(textSeen), as: UTF8.self)
                        textSeen = text.utf8.count
                        sawContent = true
                        let sent = await channel.text(piece, model: model)
                        if sent.diverged { return diverged(settled(run, current)) }
                        if !sent.proceed { return settled(run, current) }
                    }
                    for (index, call) in current.toolCalls.enumerated() {
                        if index >= tools.count {
                            // A call's first arguments may be a placeholder (Anthropic's `{}`), so
                            // they wait until they grow or the answer ends.
                            tools.append(ToolProgress(observed: call.arguments))
                            sawContent = true
                            let sent = await channel.toolCallStarted(index: index, id: call.id, name: call.name, model: model)
                            if sent.diverged { return diverged(settled(run, current)) }
                            if !sent.proceed { return settled(run, current) }
                        } else if call.arguments != tools[index].observed {
                            let grew = call.arguments.hasPrefix(tools[index].observed)
                            tools[index].observed = call.arguments
                            if grew || tools[index].forwarded.isEmpty {
                                guard await forwardArguments(of: call, index: index, tools: &tools, model: model) else {
                                    return settled(run, current)
                                }
                            }
                        }
                    }
                    if let error = current.error {
                        run.error = error
                        return settled(run, current)
                    }
                    if current.terminated {
                        // A restart answer that ends before reproducing the sent text diverged too.
                        if channel.isSuppressingPrefix { return diverged(settled(run, current)) }
                        for (index, call) in current.toolCalls.enumerated() where index < tools.count {
                            guard await forwardArguments(of: call, index: index, tools: &tools, model: model) else {
                                return settled(run, current)
                            }
                        }
                        // Gemini has no terminator event: its finish chunk may be followed by a
                        // usage-only chunk, so it is read to the end of the response.
                        if dialect != .gemini { return settled(run, current) }
                        finished = true
                    }
                }
            case .event(.end), .event(nil):
                if let status = run.status, !(200..<300).contains(status) {
                    run.error = httpError(codec: codec, status: status, body: errorBody)
                    run.retryAfter = Self.retryAfter(headers)
                } else if run.status == nil {
                    run.error = OutcomeError(kind: .connection, status: nil, message: "the upstream closed the connection before answering")
                } else {
                    run.error = OutcomeError(kind: .connection, status: nil, message: "the stream ended without its terminator")
                }
                return settled(run, accumulator.outcome())
            case .event(.failure(let failure)):
                run.error = Self.transportError(failure, streamStarted: run.status != nil)
                return settled(run, accumulator.outcome())
            }
        }
    }

    /// The run with its outcome so far.
    private func settled(_ run: AttemptRun, _ outcome: Outcome) -> AttemptRun {
        var run = run
        run.outcome = outcome
        return run
    }

    /// Sends the part of a tool call's arguments the client does not have yet, when what it has
    /// is still a prefix of them; false when the client is gone.
    private mutating func forwardArguments(of call: ToolCall, index: Int, tools: inout [ToolProgress], model: String) async -> Bool {
        let forwarded = tools[index].forwarded
        guard call.arguments.utf8.count > forwarded.utf8.count, call.arguments.hasPrefix(forwarded) else { return true }
        let piece = String(decoding: call.arguments.utf8.dropFirst(forwarded.utf8.count), as: UTF8.self)
        tools[index].forwarded = call.arguments
        return await channel.toolCallArguments(index: index, piece: piece, model: model)
    }

    private func followBody(_ events: DeadlineReader, startedAt started: Duration, dialect: Dialect, timeouts: AttemptTimeouts) async -> AttemptRun {
        let codec = dialect.codec
        let deadline = started + timeouts.total
        var run = AttemptRun(outcome: Outcome(dialect: dialect))
        var headers: [HTTPField] = []
        var body: [UInt8] = []
        while true {
            switch await events.next(until: deadline) {
            case .deadline:
                run.error = OutcomeError(kind: .timeout, status: nil, message: "no complete response within the timeout of \(timeouts.total)")
                return run
            case .event(.head(let status, let fields)):
                run.status = status
                headers = fields
            case .event(.frame(let bytes)), .event(.body(let bytes)):
                run.bytesReceived += bytes.count
                body += bytes
            case .event(.end), .event(nil):
                guard let status = run.status else {
                    run.error = OutcomeError(kind: .connection, status: nil, message: "the upstream closed the connection before answering")
                    return run
                }
                guard (200..<300).contains(status) else {
                    run.error = httpError(codec: codec, status: status, body: body)
                    run.retryAfter = Self.retryAfter(headers)
                    return run
                }
                run.outcome = codec.outcome(fromBody: body, status: status)
                if let error = run.outcome.error {
                    run.error = error
                } else if !run.outcome.terminated {
                    run.error = OutcomeError(kind: .malformed, status: nil, message: "the response body is incomplete")
                }
                return run
            case .event(.failure(let failure)):
                run.error = Self.transportError(failure, streamStarted: run.status != nil)
                return run
            }
        }
    }

    private func diverged(_ run: AttemptRun) -> AttemptRun {
        var run = run
        run.diverged = true
        run.error = OutcomeError(
            kind: .malformed, status: nil, message: "the restarted answer does not begin with the text the client already has")
        return run
    }

    private func httpError(codec: any DialectCodec, status: Int, body: [UInt8]) -> OutcomeError {
        var error = codec.classify(status: status, body: body)
        if error.status == nil { error.status = status }
        return error
    }

    static let errorBodyLimit = 64 * 1024

    static func transportError(_ failure: TransportFailure, streamStarted: Bool) -> OutcomeError {
        switch failure {
        case .reset:
            return OutcomeError(
                kind: .connection, status: nil,
                message: streamStarted ? "the upstream reset the connection mid-response" : "the upstream reset the connection")
        case .timeout: return OutcomeError(kind: .timeout, status: nil, message: "the upstream connection timed out")
        case .connection: return OutcomeError(kind: .connection, status: nil, message: "could not connect to the upstream")
        }
    }

    /// `retry-after-ms`, or `retry-after` in seconds (an HTTP date is ignored).
    static func retryAfter(_ headers: [HTTPField]) -> Duration? {
        func value(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name }?.value.trimmingCharacters(in: .whitespaces)
        }
        // Clamped to a day: a larger (or infinite) value from an upstream means "much later"; converting it unclamped traps.
        let longest = 86_400_000.0
        if let ms = value("retry-after-ms").flatMap(Double.init), ms >= 0 { return .milliseconds(Int64(min(ms, longest).rounded())) }
        if let seconds = value("retry-after").flatMap(Double.init), seconds >= 0 {
            return .milliseconds(Int64(min(seconds * 1000, longest).rounded()))
        }
        return nil
    }
}
