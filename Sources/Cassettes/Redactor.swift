import Dialects
import Foundation

/// Removes credentials from an interaction before it is queued for writing: secret header values,
/// key-like query parameters, configured JSON body paths, and anything shaped like a known key
/// anywhere in bodies, frames and other header values.
///
/// Header names and parameter names are kept, only values are replaced, so a reader still sees
/// that a key was sent.
public struct Redactor: Sendable {
    /// What replaces a secret header value or JSON value.
    public static let marker = "[REDACTED]"
    /// What replaces a secret query parameter value (kept URL-safe).
    public static let queryMarker = "REDACTED"

    /// Lowercase header names whose values are always replaced.
    public var headerNames: Set<String>
    /// Lowercase query parameter names whose values are always replaced.
    public var queryParameters: Set<String>
    /// Dotted paths into JSON request bodies whose values are replaced (`metadata.api_key`;
    /// `*` matches every array element or object member).
    public var bodyPaths: [String]
    /// Whether to mask key-shaped text (`sk-…`, `sk-ant-…`, `AIza…`, bearer tokens) everywhere,
    /// and the values of headers named like credentials (`…api-key`, `…-token`, `…authorization`).
    public var scansForSecrets: Bool

    public static let defaultHeaderNames: Set<String> = [
        "authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "set-cookie",
        "openai-organization", "openai-project", "x-litellm-api-key",
    ]
    public static let defaultQueryParameters: Set<String> = [
        "key", "api_key", "apikey", "api-key", "access_token", "token", "auth", "client_secret", "x-goog-api-key",
        "sig", "signature",
    ]

    public init(
        headerNames: Set<String> = Redactor.defaultHeaderNames,
        queryParameters: Set<String> = Redactor.defaultQueryParameters,
        bodyPaths: [String] = [],
        scansForSecrets: Bool = true
    ) {
        self.headerNames = Set(headerNames.map { $0.lowercased() })
        self.queryParameters = Set(queryParameters.map { $0.lowercased() })
        self.bodyPaths = bodyPaths
        self.scansForSecrets = scansForSecrets
    }

    /// The default policy.
    public static let standard = Redactor()

    /// Redacts nothing. Only for tests that prove the others work; never for recording.
    public static let disabled = Redactor(headerNames: [], queryParameters: [], bodyPaths: [], scansForSecrets: false)

    /// The interaction with every secret masked. The fingerprint is left as computed.
    public func redact(_ interaction: Interaction) -> Interaction {
        var result = interaction
        result.request.headers = redact(headers: interaction.request.headers)
        result.request.target = redact(target: interaction.request.target)
        result.request.body = redact(requestBody: interaction.request.body)
        if var head = interaction.response {
            head.headers = redact(headers: head.headers)
            result.response = head
        }
        if scansForSecrets {
            switch interaction.content {
            case .body(let body): result.content = .body(SecretScanner.mask(body))
            case .frames(let frames):
                result.content = .frames(frames.map { Frame(offsetMicros: $0.offsetMicros, bytes: SecretScanner.mask($0.bytes)) })
            }
        }
        return result
    }

    /// Header values replaced for secret names; other values scanned for key shapes.
    public func redact(headers: [HTTPField]) -> [HTTPField] {
        headers.map { field in
            let name = field.name.lowercased()
            if headerNames.contains(name) || (scansForSecrets && Self.looksSecret(headerName: name)) {
                return HTTPField(field.name, Self.marker)
            }
            guard scansForSecrets else { return field }
            return HTTPField(field.name, SecretScanner.mask(field.value))
        }
    }

    /// A path and query with key-like parameter values replaced.
    public func redact(target: String) -> String {
        guard let question = target.firstIndex(of: "?") else {
            return scansForSecrets ? SecretScanner.mask(target) : target
        }
        let path = String(target[..<question])
        let query = target[target.index(after: question)...]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals]
            let decoded = (name.removingPercentEncoding ?? String(name)).lowercased()
            if queryParameters.contains(decoded) { return "\(name)=\(Self.queryMarker)" }
            return scansForSecrets ? SecretScanner.mask(String(pair)) : String(pair)
        }
        return path + "?" + parameters.joined(separator: "&")
    }

    /// A request body with configured JSON paths replaced and key shapes masked. The bytes are
    /// re-serialized only when a path matched, so untouched bodies stay byte-exact.
    public func redact(requestBody body: [UInt8]) -> [UInt8] {
        var result = body
        if !bodyPaths.isEmpty, !body.isEmpty, var json = try? JSONValue.parse(body) {
            var changed = false
            for path in bodyPaths {
                let components = path.split(separator: ".").map(String.init)
                json = Self.replacing(in: json, path: components[...], changed: &changed)
            }
            if changed { result = JSONWriter.bytes(json) }
        }
        return scansForSecrets ? SecretScanner.mask(result) : result
    }

    private static func replacing(in json: JSONValue, path: ArraySlice<String>, changed: inout Bool) -> JSONValue {
        guard let head = path.first else {
            changed = true
            return .string(marker)
        }
        let rest = path.dropFirst()
        switch json {
        case .object(var members):
            let keys = head == "*" ? Array(members.keys) : (members[head] == nil ? [] : [head])
            for key in keys { members[key] = replacing(in: members[key]!, path: rest, changed: &changed) }
            return .object(members)
        case .array(var items):
            let indices = head == "*" ? Array(items.indices) : (Int(head).map { items.indices.contains($0) ? [$0] : [] } ?? [])
            for index in indices { items[index] = replacing(in: items[index], path: rest, changed: &changed) }
            return .array(items)
        default:
            return json
        }
    }

    /// Custom credential headers (`x-portkey-api-key`, `x-auth-token`…) caught by name.
    private static func looksSecret(headerName name: String) -> Bool {
        name.hasSuffix("api-key") || name.hasSuffix("-token") || name.hasSuffix("-secret") || name.contains("authorization")
    }
}
