import SSE

/// A response file read back: its frames (for streams) and the outcome a client would get.
public struct InspectedResponse: Sendable {
    /// How the file was read.
    public enum Format: String, Sendable, Codable {
        case stream
        case body
    }

    public var format: Format
    public var dialect: Dialect
    /// The parsed SSE blocks, in order; empty for a body.
    public var frames: [SSEFrame]
    public var byteCount: Int
    public var outcome: Outcome
}

/// Why a response file could not be inspected.
public enum InspectionError: Error, Sendable, CustomStringConvertible, Equatable {
    case empty(file: String)
    case undetectableDialect(file: String)
    case invalidJSON(file: String, reason: String)

    public var description: String {
        let names = Dialect.allCases.map(\.rawValue).joined(separator: ", ")
        switch self {
        case .empty(let file):
            return "\(file) is empty: expected an SSE stream or a JSON response body."
        case .undetectableDialect(let file):
            return "cannot tell which provider dialect \(file) is in; pass --dialect with one of: \(names)."
        case .invalidJSON(let file, let reason):
            return "\(file) is neither an SSE stream nor valid JSON (\(reason))."
        }
    }
}

/// Reads a captured stream (`.sse`) or body (`.json`) and reconstructs its outcome.
public enum ResponseInspector {
    /// Inspects file bytes; `fileName` is used in errors and to pick the format by extension,
    /// falling back to the content when the extension says nothing.
    public static func inspect(bytes: [UInt8], fileName: String, dialect forced: Dialect? = nil) throws -> InspectedResponse {
        let firstContent = bytes.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        guard let firstContent else { throw InspectionError.empty(file: fileName) }
        let looksLikeBody = fileName.hasSuffix(".json")
            || (!fileName.hasSuffix(".sse") && (firstContent == UInt8(ascii: "{") || firstContent == UInt8(ascii: "[")))
        if looksLikeBody {
            let json: JSONValue
            do {
                json = try JSONValue.parse(bytes)
            } catch {
                throw InspectionError.invalidJSON(file: fileName, reason: "\(error)")
            }
            guard let dialect = forced ?? Dialect.detect(json: json) else {
                throw InspectionError.undetectableDialect(file: fileName)
            }
            return InspectedResponse(
                format: .body, dialect: dialect, frames: [], byteCount: bytes.count,
                outcome: dialect.codec.outcome(fromBody: bytes, status: nil))
        }
        let frames = SSEParser.parse(bytes)
        guard let dialect = forced ?? Dialect.detect(frames: frames) else {
            throw InspectionError.undetectableDialect(file: fileName)
        }
        return InspectedResponse(
            format: .stream, dialect: dialect, frames: frames, byteCount: bytes.count,
            outcome: dialect.codec.outcome(fromFrames: frames))
    }
}
