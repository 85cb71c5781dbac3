import Dialects
import SSE

/// The client's side of one routed request: writes its answer and remembers what it has received.
///
/// In stream mode, content is written the moment it arrives; the response head and the opening
/// events (role chunk, `message_start`, `response.created`) are held back until the first content,
/// so a failure before that point leaves no trace. In body mode nothing is written until the end.
/// Either way the attempt loop drives it through the same calls.
struct ClientChannel {
    let dialect: Dialect
    let streaming: Bool
    private let codec: any DialectCodec
    private let write: @Sendable (ClientResponsePart) async throws -> Void
    private var writer: any ClientStreamWriter
    private let requestID: String

    private(set) var headSent = false
    /// Every piece of text the client has received.
    private(set) var deliveredText = ""
    private(set) var deliveredToolCalls = false
    /// True once a write failed: the client went away.
    private(set) var gone = false
    /// The status the client got.
    private(set) var status = 0

    /// What the client had when the current attempt started.
    private(set) var attemptBaseText = ""
    /// Content bytes the current attempt added to the client's answer.
    private(set) var forwardedThisAttempt = 0
    /// For a `restart` attempt: bytes of the sent prefix the new answer has not matched yet.
    private var unmatchedPrefix: ArraySlice<UInt8> = []

    init(
        dialect: Dialect, streaming: Bool, requestID: String, created: Int, includeUsage: Bool,
        write: @escaping @Sendable (ClientResponsePart) async throws -> Void
    ) {
        self.dialect = dialect
        self.streaming = streaming
        self.codec = dialect.codec
        self.write = write
        self.requestID = requestID
        self.writer = ClientStreamWriters.make(dialect: dialect, requestID: requestID, created: created, includeUsage: includeUsage)
    }

    /// What has reached the client, for the resolver.
    var delivered: DeliveredContent {
        if deliveredToolCalls { return .toolCalls }
        return deliveredText.isEmpty ? .nothing : .text
    }

    /// True while a `restart` answer has not yet reproduced everything the client already has.
    var isSuppressingPrefix: Bool { !unmatchedPrefix.isEmpty }

    mutating func beginAttempt(continuation: AttemptContinuation?) {
        attemptBaseText = deliveredText
        forwardedThisAttempt = 0
        unmatchedPrefix = continuation == .restart ? Array(deliveredText.utf8)[...] : []
    }

    /// Forwards a piece of the current attempt's text. Returns false when the attempt must stop:
    /// a restart answer diverged from the text already sent (`diverged`), or the client is gone.
    mutating func text(_ piece: String, model: String) async -> (proceed: Bool, diverged: Bool) {
        guard streaming, !piece.isEmpty else { return (true, false) }
        var fresh = piece
        if !unmatchedPrefix.isEmpty {
            let bytes = Array(piece.utf8)
            let overlap = min(bytes.count, unmatchedPrefix.count)
            guard bytes[..<overlap].elementsEqual(unmatchedPrefix.prefix(overlap)) else { return (false, true) }
            unmatchedPrefix = unmatchedPrefix.dropFirst(overlap)
            if overlap == bytes.count { return (true, false) }
            // Both texts agree up to here, so this is a character boundary of the new text.
            fresh = String(decoding: bytes[overlap...], as: UTF8.self)
        }
        deliveredText += fresh
        forwardedThisAttempt += fresh.utf8.count
        var bytes = await opening(model: model)
        bytes += encode(writer.text(fresh, model: model))
        return (await send(bytes), false)
    }

    /// Forwards the start of a tool call. A tool call where a restart still owes sent text is a divergence.
    mutating func toolCallStarted(index: Int, id: String, name: String, model: String) async -> (proceed: Bool, diverged: Bool) {
        guard streaming else { return (true, false) }
        guard unmatchedPrefix.isEmpty else { return (false, true) }
        deliveredToolCalls = true
        forwardedThisAttempt += name.utf8.count
        var bytes = await opening(model: model)
        bytes += encode(writer.toolCallStarted(index: index, id: id, name: name, model: model))
        return (await send(bytes), false)
    }

    mutating func toolCallArguments(index: Int, piece: String, model: String) async -> Bool {
        guard streaming, !piece.isEmpty else { return true }
        forwardedThisAttempt += piece.utf8.count
        var bytes = await opening(model: model)
        bytes += encode(writer.toolCallArguments(index: index, piece: piece, model: model))
        return await send(bytes)
    }

    /// Ends the answer successfully with the final outcome (client dialect, combined usage).
    mutating func finish(outcome: Outcome, attempts: [RouteAttempt]) async {
        let attemptsJSON = RouteAttempt.json(attempts)
        if streaming {
            // The opening goes first even when written last: writers number their events.
            var events = headSent ? [] : writer.opening(model: outcome.model ?? "")
            events += writer.closing(outcome: outcome)
            var bytes = encode(events)
            bytes += codec.encoder.comment(RouteAttempt.commentPrefix + attemptsJSON)
            if !headSent { await sendHead(status: 200, headers: streamHeaders) }
            await sendBody(bytes)
        } else {
            let body = JSONWriter.bytes(codec.body(for: outcome))
            await sendHead(status: 200, headers: jsonHeaders + [HTTPField(RouteAttempt.headerName, attemptsJSON)])
            await sendBody(body)
        }
    }

    /// Ends the answer with an error: an HTTP error when nothing was sent yet (in both modes),
    /// otherwise the dialect's in-band error event after the content already streamed.
    mutating func fail(error: OutcomeError, retryAfter: Duration?, attempts: [RouteAttempt]) async {
        let attemptsJSON = RouteAttempt.json(attempts)
        if headSent {
            var bytes = encode(writer.error(error))
            bytes += codec.encoder.comment(RouteAttempt.commentPrefix + attemptsJSON)
            await sendBody(bytes)
            return
        }
        let seconds = retryAfter.map { Int(($0 / .seconds(1)).rounded(.up)) }
        let response = codec.errorResponse(kind: error.kind, message: error.message, retryAfter: seconds)
        var headers = response.headers.filter { $0.name.lowercased() != "content-length" }
        headers.append(HTTPField("x-tapedeck-request-id", requestID))
        headers.append(HTTPField(RouteAttempt.headerName, attemptsJSON))
        await sendHead(status: response.status, headers: headers)
        await sendBody(response.body)
    }

    /// Records that the client went away without a failed write (its task was cancelled).
    mutating func markGone() {
        gone = true
    }

    private var streamHeaders: [HTTPField] {
        [
            HTTPField("content-type", "text/event-stream"), HTTPField("cache-control", "no-cache"),
            HTTPField("x-tapedeck-request-id", requestID),
        ]
    }

    private var jsonHeaders: [HTTPField] {
        [HTTPField("content-type", "application/json"), HTTPField("x-tapedeck-request-id", requestID)]
    }

    /// On the first content: sends the held-back head and returns the opening events' bytes. The
    /// opening is made before the content events because writers number their events.
    private mutating func opening(model: String) async -> [UInt8] {
        guard !headSent else { return [] }
        await sendHead(status: 200, headers: streamHeaders)
        return encode(writer.opening(model: model))
    }

    /// Writes content bytes; false when the client is gone.
    private mutating func send(_ bytes: [UInt8]) async -> Bool {
        await sendBody(bytes)
        return !gone
    }

    private func encode(_ events: [SSEEvent]) -> [UInt8] {
        var bytes: [UInt8] = []
        for event in events { bytes += codec.encoder.encode(event) }
        return bytes
    }

    private mutating func sendHead(status: Int, headers: [HTTPField]) async {
        guard !gone, !headSent else { return }
        headSent = true
        self.status = status
        do { try await write(.head(status: status, headers: headers)) } catch { gone = true }
    }

    private mutating func sendBody(_ bytes: [UInt8]) async {
        guard !gone, !bytes.isEmpty else { return }
        do { try await write(.body(bytes)) } catch { gone = true }
    }
}
