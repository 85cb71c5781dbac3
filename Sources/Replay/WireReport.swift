/// How a wire plan's response ended, as the client experienced it.
public enum WireEnding: String, Hashable, Sendable, Codable, CaseIterable {
    /// The response ended properly (final chunk sent, or the declared length written).
    case finished
    /// The server closed the connection mid-response, as the plan said.
    case closed
    /// The server aborted the connection with a TCP RST, as the plan said.
    case reset
    /// The server sent nothing more until the connection was closed, as the plan said.
    case hung
    /// The client closed the connection before the plan reached its end.
    case clientGone = "client_gone"
    /// The server was stopped before the plan reached its end.
    case serverStopped = "server_stopped"
    /// A write failed while the connection was still open; `WireReport.failure` says why.
    case failed
}

/// What actually happened on the wire while one request's plan was carried out, for the ledger.
///
/// Times are measured from the moment the request had been read in full.
public struct WireReport: Hashable, Sendable {
    /// The `ReplayRequest.id` this report describes.
    public var requestID: Int
    /// The `ReplayRequest.connectionID` the response went out on.
    public var connectionID: Int
    /// How the response ended.
    public var ending: WireEnding
    /// Whether the client closed the connection before the server did: always for `clientGone`,
    /// and for `hung` when the client gave up waiting.
    public var closedByClient: Bool
    /// The status sent in the response head, or nil if no head went out.
    public var status: Int?
    /// Plan steps carried out in full, counted from the start of the plan.
    public var stepsCompleted: Int
    /// `write` steps whose bytes reached the socket: frames sent, when the plan writes one frame per step.
    public var writesCompleted: Int
    /// Body bytes of those writes, without chunk framing.
    public var bodyBytesWritten: Int
    /// When the response head reached the socket.
    public var headSentAfter: Duration?
    /// When the first body bytes reached the socket.
    public var firstWriteAfter: Duration?
    /// When the response ended, by the plan or by a closed connection.
    public var endedAfter: Duration
    /// Why the responder's plan could not be carried out; the server answered 500 instead.
    public var planProblem: WirePlanProblem?
    /// Why a write failed, for the `failed` ending.
    public var failure: String?

    public init(
        requestID: Int,
        connectionID: Int,
        ending: WireEnding,
        closedByClient: Bool = false,
        status: Int? = nil,
        stepsCompleted: Int = 0,
        writesCompleted: Int = 0,
        bodyBytesWritten: Int = 0,
        headSentAfter: Duration? = nil,
        firstWriteAfter: Duration? = nil,
        endedAfter: Duration = .zero,
        planProblem: WirePlanProblem? = nil,
        failure: String? = nil
    ) {
        self.requestID = requestID
        self.connectionID = connectionID
        self.ending = ending
        self.closedByClient = closedByClient
        self.status = status
        self.stepsCompleted = stepsCompleted
        self.writesCompleted = writesCompleted
        self.bodyBytesWritten = bodyBytesWritten
        self.headSentAfter = headSentAfter
        self.firstWriteAfter = firstWriteAfter
        self.endedAfter = endedAfter
        self.planProblem = planProblem
        self.failure = failure
    }
}
