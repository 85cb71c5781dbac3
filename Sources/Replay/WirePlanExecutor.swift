import Dialects
import Faults
import Logging
import NIOCore
import NIOHTTP1

/// Carries a wire plan out on one connection, step by step, and accounts for what happened.
///
/// Every write is awaited until it reaches the socket: nothing is buffered, a slow reader holds
/// the plan back, and the report counts only bytes that really went out.
struct WirePlanExecutor: Sendable {
    let sleeper: any WireSleeper
    let logger: Logger

    /// Headers the wire layer owns: framing and connection management follow the plan's shape,
    /// not whatever a recorded upstream happened to send.
    static let hopByHopHeaders: Set<String> = ["transfer-encoding", "connection", "keep-alive"]

    func execute(_ plan: WirePlan, for received: ReceivedRequest, on connection: WireConnection) async -> WireReport {
        var logger = logger
        logger[metadataKey: "request"] = "\(received.request.id)"
        logger[metadataKey: "connection"] = "\(connection.id)"
        var run = PlanRun(received: received, connection: connection)

        var plan = plan
        if let problem = plan.problem {
            logger.error("wire plan cannot be carried out", metadata: ["problem": "\(problem)"])
            run.report.planProblem = problem
            plan = Self.answer(to: problem)
        }

        steps: for step in plan.steps {
            guard connection.isActive || (step == .finish && run.bodyIsComplete) else {
                run.endByClosedConnection()
                break steps
            }
            do {
                switch step {
                case .head(let status, let headers):
                    try await run.sendHead(status: status, headers: headers, endsByFinish: plan.steps.last == .finish)
                case .pause(let microseconds):
                    if microseconds > 0 {
                        await connection.pause(for: .microseconds(microseconds), using: sleeper)
                        // A client holding a whole content-length body may leave; the next step decides.
                        guard connection.isActive || run.bodyIsComplete else {
                            run.endByClosedConnection()
                            break steps
                        }
                    }
                case .write(let bytes):
                    try await run.write(bytes)
                case .finish:
                    try await run.finish()
                case .close:
                    await connection.close(cause: .plan)
                    run.end(.closed)
                case .reset:
                    try await connection.reset()
                    run.end(.reset)
                case .hang:
                    if !connection.beginHang() { connection.closeNow(cause: .serverStopped) }
                    await connection.closed()
                    run.end(.hung)
                    run.report.closedByClient = connection.closeCause == nil
                }
                run.report.stepsCompleted += 1
            } catch {
                if Self.meansConnectionClosed(error) || !connection.isActive {
                    // The peer broke the connection; make sure it is closed, without claiming the close.
                    await connection.closeWithoutCause()
                    run.endByClosedConnection()
                } else {
                    logger.error("wire step failed", metadata: ["error": "\(error)"])
                    await connection.close(cause: .plan)
                    run.end(.failed)
                    run.report.failure = "\(error)"
                }
                break steps
            }
        }

        logger.debug(
            "wire plan ended",
            metadata: [
                "ending": "\(run.report.ending.rawValue)",
                "writes": "\(run.report.writesCompleted)",
                "bytes": "\(run.report.bodyBytesWritten)",
            ]
        )
        return run.report
    }

    /// The plain-text 500 that replaces a plan which cannot be carried out, so the client sees
    /// the planner's mistake instead of a confusing wire.
    static func answer(to problem: WirePlanProblem) -> WirePlan {
        let text = Array("tapedeck replay: \(problem)\n".utf8)
        return WirePlan(steps: [
            .head(
                status: 500,
                headers: [HTTPField("content-type", "text/plain; charset=utf-8"), HTTPField("content-length", "\(text.count)")]
            ),
            .write(text),
            .finish,
        ])
    }

    private static func meansConnectionClosed(_ error: any Error) -> Bool {
        if error is IOError { return true }
        switch error as? ChannelError {
        case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .eof: return true
        default: return false
        }
    }
}

/// The progress of one plan on one connection: what has been sent, and the report it becomes.
private struct PlanRun {
    let received: ReceivedRequest
    let connection: WireConnection
    var report: WireReport
    /// Whether `finish` must close the connection instead of keeping it alive.
    var closesAfterFinish = true
    var sendsBody = true
    /// The content-length the head declared, if any.
    var declaredLength: Int?

    init(received: ReceivedRequest, connection: WireConnection) {
        self.received = received
        self.connection = connection
        self.report = WireReport(
            requestID: received.request.id, connectionID: connection.id, ending: .finished)
    }

    private var elapsed: Duration { received.receivedAt.duration(to: .now) }

    mutating func sendHead(status: Int, headers: [HTTPField], endsByFinish: Bool) async throws {
        var fields = HTTPHeaders(
            headers.filter { !WirePlanExecutor.hopByHopHeaders.contains($0.name.lowercased()) }
                .map { ($0.name, $0.value) }
        )
        let version = received.version
        // Without chunked encoding (HTTP/1.0) only a declared length lets the body end without a close.
        let framed = version.allowsChunking || fields.contains(name: "content-length")
        let keepsAlive = received.keepAlive && framed && !connection.isStopping
        closesAfterFinish = !keepsAlive
        if endsByFinish {
            // Announce what the finish will do; a plan that ends otherwise must not give itself away.
            if !keepsAlive {
                fields.add(name: "connection", value: "close")
            } else if !version.allowsChunking {
                fields.add(name: "connection", value: "keep-alive")
            }
        }
        sendsBody = received.request.method != "HEAD"
        declaredLength = fields.first(name: "content-length").flatMap { Int($0.trimmingHTTPWhitespace) }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: fields)
        try await connection.write(.head(head))
        report.status = status
        report.headSentAfter = elapsed
    }

    mutating func write(_ bytes: [UInt8]) async throws {
        // An empty chunk would read as the chunked terminator, so there is nothing to send.
        guard !bytes.isEmpty, sendsBody else { return }
        try await connection.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
        report.writesCompleted += 1
        report.bodyBytesWritten += bytes.count
        if report.firstWriteAfter == nil { report.firstWriteAfter = elapsed }
    }

    /// Whether a content-length body has been written in full: the client has the whole
    /// response and may already have closed the connection, as it is entitled to.
    var bodyIsComplete: Bool {
        declaredLength != nil && declaredLength == report.bodyBytesWritten
    }

    mutating func finish() async throws {
        do {
            try await connection.write(.end(nil))
        } catch where bodyIsComplete {
            // Ending a content-length body sends no bytes, so nothing was lost.
        }
        if closesAfterFinish { await connection.close(cause: .plan) }
        end(.finished)
    }

    mutating func end(_ ending: WireEnding) {
        report.ending = ending
        report.endedAfter = elapsed
    }

    /// Ends the report for a connection that closed under the plan: by the client or by a stop.
    mutating func endByClosedConnection() {
        switch connection.closeCause {
        case .serverStopped:
            end(.serverStopped)
        case .plan:
            // Only a failed step closes for the plan mid-way, and that path ends the report itself.
            end(.failed)
        case .misbehavingClient:
            end(.failed)
            report.failure = "the server cut off a client that queued too many pipelined requests"
        case nil:
            end(.clientGone)
            report.closedByClient = true
        }
    }
}

extension HTTPVersion {
    /// HTTP/1.1 and later frame bodies with chunked encoding; HTTP/1.0 cannot.
    fileprivate var allowsChunking: Bool {
        major > 1 || (major == 1 && minor >= 1)
    }
}
