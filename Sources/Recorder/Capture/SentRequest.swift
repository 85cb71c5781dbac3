import Cassettes
import Dialects
import Foundation

/// The request half of an exchange as it went upstream, and what Tapedeck reads from it.
struct SentRequest: Sendable {
    var method: String
    /// Path and query as sent upstream.
    var target: String
    /// The path alone.
    var path: String
    /// Headers as sent upstream (not yet redacted: the sink redacts).
    var headers: [HTTPField]
    var body: [UInt8]
    var provider: String

    /// The dialect of the endpoint, if Tapedeck speaks it.
    var dialect: Dialect? { Dialect.detect(path: path) }

    /// What the body asks for, when the dialect is known and the body is JSON.
    func view() -> RequestView? {
        guard let dialect, let json = try? JSONValue.parse(body) else { return nil }
        return dialect.codec.requestView(body: json, path: target)
    }

    /// What Tapedeck reads from the request: it parses the body twice (for the view, then
    /// canonicalized for the fingerprint), so an exchange reads its request once.
    func read() -> RequestReading {
        let view = view()
        return RequestReading(
            view: view,
            fingerprint: RequestFingerprint.compute(method: method, endpoint: path, model: view?.model, body: body))
    }

    /// The interaction to store for this request and what came back.
    func interaction(
        result: StreamCapture.Result, reading: RequestReading, recordedAt: Date, durationMicros: Int64, sessionID: String,
        tags: [String]
    ) -> Interaction {
        let view = reading.view
        var isStream = view?.stream ?? false
        if case .frames = result.content { isStream = true }
        return Interaction(
            recordedAt: recordedAt, dialect: view?.dialect ?? dialect, provider: provider, endpoint: path,
            model: view?.model, stream: isStream,
            request: RecordedRequest(method: method, target: target, headers: headers, body: body),
            response: result.head, content: result.content, ending: result.ending, durationMicros: durationMicros,
            sessionID: sessionID, tags: tags, fingerprint: reading.fingerprint)
    }
}

/// What Tapedeck reads from a request body: what it asks for, and its fingerprint.
struct RequestReading: Sendable {
    var view: RequestView?
    var fingerprint: String
}
