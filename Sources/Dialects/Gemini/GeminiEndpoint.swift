import Foundation

/// What a Gemini request path says: Gemini keeps the model and the mode in the URL, as in
/// `/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, behind any gateway prefix
/// (`/gemini/v1beta/…`) or Vertex resource path (`…/publishers/google/models/…`).
struct GeminiEndpoint: Hashable, Sendable {
    /// The path without its query string (which may hold `key=`: never keep it).
    var path: String
    /// The model id: the last path segment before its `:method`, percent-decoded.
    var model: String?
    /// The method after the colon: `generateContent`, `streamGenerateContent`, `countTokens` …
    var method: String?

    init(path rawPath: String) {
        let path = rawPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? rawPath
        self.path = path
        let lastSegment = path.split(separator: "/").last.map(String.init) ?? ""
        if let colon = lastSegment.lastIndex(of: ":") {
            let name = String(lastSegment[..<colon])
            model = name.isEmpty ? nil : (name.removingPercentEncoding ?? name)
            method = String(lastSegment[lastSegment.index(after: colon)...])
        } else {
            model = nil
            method = nil
        }
    }

    /// True for `streamGenerateContent`, whatever the `alt` parameter.
    var isStream: Bool { method == "streamGenerateContent" }
}
