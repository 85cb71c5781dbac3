import Cassettes
import Dialects
import Faults
import SSE

/// Turns a matched recording into the clean response for the request: frame-exact when the
/// request has the recording's dialect and mode, otherwise the recording's outcome rendered in the
/// request's dialect and mode (and cut to the remainder of a continuation).
public enum AnswerBuilder {
    /// Spacing of synthesized frames when the recording has no timing to borrow.
    static let defaultSpacingMicros: Int64 = 20_000

    public static func answer(for request: IncomingRequest, match: Match) -> CleanResponse {
        let response = rendered(for: request, match: match)
        guard request.dialect == .openAIChat, request.view.stream, !request.wantsUsageChunk,
            case .stream(var stream) = response
        else { return response }
        stream.frames.removeAll(where: isUsageChunk)
        return .stream(stream)
    }

    /// OpenAI's usage chunk: `choices: []` with a usage object, sent only when asked for.
    static func isUsageChunk(_ frame: Frame) -> Bool {
        SSEParser.parse(frame.bytes).contains { parsed in
            guard let data = parsed.event?.data, let json = try? JSONValue.parse(data) else { return false }
            return json["choices"]?.arrayValue?.isEmpty == true && json["usage"].map { !$0.isNull } == true
        }
    }

    static func rendered(for request: IncomingRequest, match: Match) -> CleanResponse {
        guard let recording = match.recording else {
            let error = request.dialect.codec.errorResponse(
                kind: .notFound, message: "tapedeck: " + (match.explanation ?? "no recording matches"), retryAfter: nil)
            return .body(status: error.status, headers: error.headers, bytes: error.body)
        }
        let interaction = recording.interaction
        let codec = request.dialect.codec
        if let status = interaction.status, !(200..<300).contains(status) {
            return errorAnswer(recording, status: status, request: request)
        }
        let sameShape = recording.dialect == request.dialect && interaction.stream == request.view.stream
        if sameShape && match.remainder == nil {
            return faithful(interaction)
        }
        var outcome = recording.outcome
        outcome.dialect = request.dialect
        if let remainder = match.remainder { outcome.text = remainder }
        if request.view.stream {
            // A recording that broke off renders as a stream that breaks off: no terminator.
            let events = codec.streamEvents(for: outcome).filter { outcome.terminated || !codec.isTerminator($0) }
            let spacing = spacingMicros(for: interaction, count: events.count)
            let frames = events.enumerated().map { index, event in
                Frame(offsetMicros: firstByteMicros(interaction) + Int64(index) * spacing, bytes: codec.encoder.encode(event))
            }
            return .stream(status: 200, headers: [HTTPField("content-type", "text/event-stream")], frames: frames,
                           end: outcome.terminated ? .finish : .close)
        }
        guard outcome.isSuccess else {
            // A body cannot break off the way the recorded stream did; it fails the way a
            // provider fails a request it could not finish: with the recorded error, or a 502.
            let error = outcome.error ?? OutcomeError(kind: .connection, status: 502, message: "upstream connection closed before the response was complete")
            let response = codec.errorResponse(kind: error.kind, message: error.message, retryAfter: nil)
            return .body(status: response.status, headers: response.headers, bytes: response.body,
                         offsetMicros: interaction.durationMicros ?? 0)
        }
        let body = JSONWriter.bytes(codec.body(for: outcome))
        return .body(status: 200, headers: [HTTPField("content-type", "application/json")], bytes: body,
                     offsetMicros: interaction.durationMicros ?? 0)
    }

    /// The recording exactly as it crossed the wire, recorded ending included.
    static func faithful(_ interaction: Interaction) -> CleanResponse {
        let head = interaction.response
        let headers = head?.headers ?? []
        switch interaction.content {
        case .frames(let frames):
            return .stream(status: head?.status ?? 200, headers: headers, frames: frames, end: end(of: interaction.ending))
        case .body(let bytes):
            return .body(status: head?.status ?? 200, headers: headers, bytes: bytes,
                         offsetMicros: head?.offsetMicros ?? interaction.durationMicros ?? 0)
        }
    }

    /// A recorded HTTP error: as recorded in its own dialect, re-shaped for another.
    static func errorAnswer(_ recording: Recording, status: Int, request: IncomingRequest) -> CleanResponse {
        if recording.dialect == request.dialect { return .body(
            status: status, headers: recording.interaction.response?.headers ?? [],
            bytes: recording.interaction.content.bytes, offsetMicros: recording.interaction.response?.offsetMicros ?? 0) }
        let error = recording.outcome.error ?? OutcomeError(kind: .serverError, status: status, message: "upstream error")
        let response = request.dialect.codec.errorResponse(kind: error.kind, message: error.message, retryAfter: nil)
        return .body(status: response.status, headers: response.headers, bytes: response.body)
    }

    static func end(of ending: Ending) -> StreamEnd {
        switch ending {
        case .complete, .httpError, .inBandError: return .finish
        // Never loaded for replay (see `RecordingLibrary`); if one is built by hand, the stream just stops.
        case .truncated, .clientAborted, .interrupted: return .close
        case .reset: return .reset
        case .timeout: return .hang
        }
    }

    private static func firstByteMicros(_ interaction: Interaction) -> Int64 {
        if case .frames(let frames) = interaction.content, let first = frames.first { return first.offsetMicros }
        return interaction.response?.offsetMicros ?? 0
    }

    private static func spacingMicros(for interaction: Interaction, count: Int) -> Int64 {
        guard count > 1 else { return 0 }
        if case .frames(let frames) = interaction.content, let first = frames.first, let last = frames.last,
            last.offsetMicros > first.offsetMicros
        {
            return (last.offsetMicros - first.offsetMicros) / Int64(count - 1)
        }
        return defaultSpacingMicros
    }
}
