import Dialects
import Foundation
import SSE

/// Settings for turning foreign recordings (HAR, vcrpy) into interactions.
public struct ImportOptions: Sendable {
    /// Tags added to every imported interaction.
    public var tags: [String]
    /// Session id given to every imported interaction that has none.
    public var sessionID: String?
    /// The recording time for formats that keep none (vcrpy).
    public var now: Date
    /// Tells whether an event properly ends a stream of a dialect (the codec's `isTerminator`);
    /// without it, a stream counts as complete unless its last block is cut or it carries an error.
    public var isTerminator: (@Sendable (Dialect, SSEEvent) -> Bool)?

    public init(
        tags: [String] = [], sessionID: String? = nil, now: Date = Date(),
        isTerminator: (@Sendable (Dialect, SSEEvent) -> Bool)? = nil
    ) {
        self.tags = tags
        self.sessionID = sessionID
        self.now = now
        self.isTerminator = isTerminator
    }
}

/// What a foreign recording did not say and is inferred from the HTTP exchange itself:
/// dialect, provider, model, stream flag, frames and ending.
enum ImportInference {
    /// Builds an interaction from a plain HTTP exchange.
    static func interaction(
        id: String, recordedAt: Date, url: String, method: String, requestHeaders: [HTTPField], requestBody: [UInt8],
        status: Int?, responseHeaders: [HTTPField], responseBody: [UInt8], responseHeadMicros: Int64?,
        durationMicros: Int64?, options: ImportOptions
    ) -> Interaction {
        let (host, target) = split(url: url)
        let endpoint = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        let dialect = Dialect.detect(path: endpoint)
        let body = try? JSONValue.parse(requestBody)
        let isEventStream = responseHeaders.contains {
            $0.name.lowercased() == "content-type" && $0.value.lowercased().hasPrefix("text/event-stream")
        }
        let stream = body?["stream"]?.boolValue == true || endpoint.contains(":streamGenerateContent") || isEventStream
        let content: ResponseContent
        if isEventStream || (stream && (status.map { (200..<300).contains($0) } ?? false)) {
            content = .frames(frames(responseBody, from: responseHeadMicros ?? 0, to: durationMicros))
        } else {
            content = .body(responseBody)
        }
        let response = status.map { ResponseHead(status: $0, headers: responseHeaders, offsetMicros: responseHeadMicros) }
        let interaction = Interaction(
            id: id, recordedAt: recordedAt, dialect: dialect, provider: provider(host: host, dialect: dialect),
            endpoint: endpoint, model: body?["model"]?.stringValue ?? model(fromPath: endpoint), stream: stream,
            request: RecordedRequest(method: method.uppercased(), target: target, headers: requestHeaders, body: requestBody),
            response: response, content: content, ending: .complete, durationMicros: durationMicros,
            sessionID: options.sessionID, tags: options.tags)
        var result = interaction
        result.ending = ending(of: interaction, isTerminator: options.isTerminator)
        return result
    }

    /// Each SSE block becomes a frame; offsets spread evenly from the response head to the end,
    /// the best guess when a format kept only the total time.
    static func frames(_ body: [UInt8], from start: Int64, to end: Int64?) -> [Frame] {
        let blocks = SSEParser.parse(body)
        guard !blocks.isEmpty else { return [] }
        let span = max(0, (end ?? start) - start)
        let step = blocks.count > 1 ? span / Int64(blocks.count - 1) : 0
        return blocks.enumerated().map { index, block in
            Frame(offsetMicros: start + Int64(index) * step, bytes: block.raw)
        }
    }

    /// `complete`, `http_error`, `in_band_error` or `truncated`, from what the exchange shows.
    static func ending(of interaction: Interaction, isTerminator: (@Sendable (Dialect, SSEEvent) -> Bool)?) -> Ending {
        guard let status = interaction.status else { return .reset }
        if status >= 400 { return .httpError }
        guard case .frames(let frames) = interaction.content else { return .complete }
        let blocks = SSEParser.parse(interaction.content.bytes)
        for block in blocks where block.isTerminated {
            guard let event = block.event else { continue }
            if event.type == "error" { return .inBandError }
            if let json = try? JSONValue.parse(event.data), json["error"].map({ !$0.isNull }) == true {
                return .inBandError
            }
        }
        if frames.isEmpty || blocks.last?.isTerminated == false { return .truncated }
        if let isTerminator, let dialect = interaction.dialect {
            let terminated = blocks.contains { block in block.event.map { isTerminator(dialect, $0) } ?? false }
            if !terminated { return .truncated }
        }
        return .complete
    }

    /// Host (empty when none) and path+query of an absolute or relative URL.
    static func split(url: String) -> (host: String, target: String) {
        guard let schemeEnd = url.range(of: "://") else { return ("", url.isEmpty ? "/" : url) }
        let rest = url[schemeEnd.upperBound...]
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return (String(rest), "/") }
        var target = String(rest[slash...])
        if target.hasPrefix("?") { target = "/" + target }
        return (String(rest[..<slash]), target)
    }

    /// The provider a host belongs to, else the usual provider of the dialect.
    static func provider(host: String, dialect: Dialect?) -> String {
        let host = host.lowercased()
        if host.hasSuffix(".openai.azure.com") { return "azure" }
        if host.hasSuffix("openai.com") { return "openai" }
        if host.hasSuffix("anthropic.com") { return "anthropic" }
        if host.hasSuffix("aiplatform.googleapis.com") { return "vertex_ai" }
        if host.hasSuffix("googleapis.com") { return "gemini" }
        if host.hasSuffix("openrouter.ai") { return "openrouter" }
        switch dialect {
        case .openAIChat, .openAIResponses: return host.isEmpty ? "openai" : host
        case .anthropicMessages: return host.isEmpty ? "anthropic" : host
        case .gemini: return host.isEmpty ? "gemini" : host
        case nil: return host.isEmpty ? "unknown" : host
        }
    }

    /// The usual base URL of a provider, for formats that need absolute URLs (HAR).
    static func baseURL(provider: String, headers: [HTTPField]) -> String {
        if let host = headers.first(where: { $0.name.lowercased() == "host" })?.value, !host.isEmpty {
            return "https://\(host)"
        }
        switch provider {
        case "openai": return "https://api.openai.com"
        case "anthropic": return "https://api.anthropic.com"
        case "gemini": return "https://generativelanguage.googleapis.com"
        case "openrouter": return "https://openrouter.ai"
        default: return "http://localhost"
        }
    }

    /// The model in a Gemini-style path: `…/models/gemini-2.5-flash:streamGenerateContent`.
    static func model(fromPath path: String) -> String? {
        guard let range = path.range(of: "/models/") else { return nil }
        let rest = path[range.upperBound...]
        let model = rest.prefix { $0 != ":" && $0 != "/" && $0 != "?" }
        return model.isEmpty ? nil : String(model)
    }

    /// A stable id for an imported exchange, so importing the same file twice adds nothing.
    static func stableID(prefix: String, parts: [[UInt8]]) -> String {
        var hasher = SHA256()
        for part in parts {
            hasher.update(Array(String(part.count).utf8) + [0x3A])
            hasher.update(part)
        }
        let digest = hasher.finalize().prefix(12)
        return prefix + "-" + digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
