import Cassettes
import Dialects
import Foundation
import NIOCore
import NIOHTTP1

extension ProxyExchange {
    /// The request as it went upstream, for the cassette.
    func sent(_ resolved: ResolvedTarget, head upstreamHead: HTTPRequestHead, body: RequestBodyCapture) -> SentRequest {
        SentRequest(
            method: head.method.rawValue, target: resolved.target, path: resolved.path,
            headers: upstreamHead.headers.map { HTTPField($0.name, $0.value) }, body: body.bytes,
            provider: resolved.route.provider)
    }

    /// Builds the interaction, assigns its session, counts it and hands it to the sink.
    func record(
        _ outcome: RelayOutcome, request: SentRequest, reading: RequestReading?, requestOverLimit: Bool,
        start: ContinuousClock.Instant, end: ContinuousClock.Instant, recordedAt: Date
    ) {
        let configuration = context.configuration
        var tags = configuration.tags
        if outcome.result.overLimit || requestOverLimit { tags.append("capture_limit") }
        if outcome.termination == .shutdown { tags.append("recorder_shutdown") }
        let reading = reading ?? request.read()
        let view = reading.view
        var interaction = request.interaction(
            result: outcome.result, reading: reading, recordedAt: recordedAt, durationMicros: (end - start).microseconds,
            sessionID: "", tags: tags)
        interaction.id = interactionID
        let key = view.map { ConversationKey(view: $0) } ?? ConversationKey(fingerprint: interaction.fingerprint)
        let header = head.headers.first(name: configuration.sessionHeader)
        interaction.sessionID = context.session(key: key, header: header, start: start, end: end)
        context.metrics.exchangeFinished(ending: interaction.ending)
        context.sink.record(interaction)
        logRecorded(interaction)
    }

    /// Hands the sink the exchange under way, so a crash of the recorder from now on leaves it
    /// in the cassette as `interrupted`. No session yet: grouping happens when it ends. Returns
    /// what it read of the request.
    func begin(request: SentRequest, response: ResponseHead, recordedAt: Date) -> RequestReading {
        let reading = request.read()
        let view = reading.view
        let result = StreamCapture.Result(
            head: response, content: (view?.stream ?? false) ? .frames([]) : .body([]), ending: .interrupted,
            overLimit: false, relayedBytes: 0)
        var interaction = request.interaction(
            result: result, reading: reading, recordedAt: recordedAt, durationMicros: 0, sessionID: "",
            tags: context.configuration.tags)
        interaction.id = interactionID
        interaction.sessionID = nil
        interaction.durationMicros = nil
        context.sink.begin(interaction)
        return reading
    }

    /// One debug line per exchange: no query, no header, no body (they may hold secrets).
    func logRecorded(_ interaction: Interaction) {
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
