import Dialects
import Faults

/// Why a wire plan cannot be carried out as written; steps are counted from 0.
public enum WirePlanProblem: Error, Hashable, Sendable, CustomStringConvertible {
    case missingEnding
    case stepAfterEnding(step: Int)
    case bodyBeforeHead(step: Int)
    case finishBeforeHead(step: Int)
    case secondHead(step: Int)
    case negativePause(step: Int)
    case unsupportedStatus(Int)
    case bodyNotAllowed(status: Int)
    case invalidHeader(name: String)
    case invalidContentLength(String)
    case bodyExceedsContentLength(declared: Int, planned: Int)
    case finishShortOfContentLength(declared: Int, planned: Int)

    public var description: String {
        switch self {
        case .missingEnding:
            "the wire plan does not end with finish, close, reset or hang"
        case .stepAfterEnding(let step):
            "wire plan step \(step) comes after the plan already ended"
        case .bodyBeforeHead(let step):
            "wire plan step \(step) writes body bytes before any head"
        case .finishBeforeHead(let step):
            "wire plan step \(step) finishes a response whose head was never sent"
        case .secondHead(let step):
            "wire plan step \(step) sends a second response head"
        case .negativePause(let step):
            "wire plan step \(step) pauses for a negative time"
        case .unsupportedStatus(let status):
            "the wire plan's head has status \(status); only 200 to 599 can be replayed"
        case .bodyNotAllowed(let status):
            "the wire plan writes a body after status \(status), which must not have one"
        case .invalidHeader(let name):
            "the wire plan's header '\(name)' has a name or value that cannot go on the wire"
        case .invalidContentLength(let value):
            "the wire plan's content-length '\(value)' is not one non-negative integer"
        case .bodyExceedsContentLength(let declared, let planned):
            "the wire plan writes \(planned) body bytes but its content-length says \(declared)"
        case .finishShortOfContentLength(let declared, let planned):
            "the wire plan finishes after \(planned) body bytes but its content-length says \(declared); cut it with close instead"
        }
    }
}

extension WirePlan {
    /// The first reason this plan cannot be carried out faithfully, or nil when it can.
    ///
    /// A content-length body may stop short only when the plan ends by `close`, `reset` or `hang`:
    /// that is how a cut body is planned. Finishing short would leave the client waiting.
    public var problem: WirePlanProblem? {
        var status: Int?
        var declaredLength: Int?
        var plannedBytes = 0
        var ended = false
        for (index, step) in steps.enumerated() {
            if ended { return .stepAfterEnding(step: index) }
            switch step {
            case .head(let code, let headers):
                if status != nil { return .secondHead(step: index) }
                guard (200...599).contains(code) else { return .unsupportedStatus(code) }
                status = code
                if let bad = headers.first(where: { !Self.canSend($0) }) { return .invalidHeader(name: bad.name) }
                let lengths = Set(headers.filter { $0.name.lowercased() == "content-length" }.map(\.value))
                if lengths.count > 1 { return .invalidContentLength(lengths.sorted().joined(separator: ", ")) }
                if let text = lengths.first {
                    guard let length = Int(text.trimmingHTTPWhitespace), length >= 0 else { return .invalidContentLength(text) }
                    declaredLength = length
                }
            case .pause(let microseconds):
                if microseconds < 0 { return .negativePause(step: index) }
            case .write(let bytes):
                guard let status else { return .bodyBeforeHead(step: index) }
                if !bytes.isEmpty && !Self.mayHaveBody(status) { return .bodyNotAllowed(status: status) }
                plannedBytes += bytes.count
                if let declaredLength, plannedBytes > declaredLength {
                    return .bodyExceedsContentLength(declared: declaredLength, planned: plannedBytes)
                }
            case .finish:
                guard status != nil else { return .finishBeforeHead(step: index) }
                if let declaredLength, plannedBytes < declaredLength {
                    return .finishShortOfContentLength(declared: declaredLength, planned: plannedBytes)
                }
                ended = true
            case .close, .reset, .hang:
                ended = true
            }
        }
        return ended ? nil : .missingEnding
    }

    private static func mayHaveBody(_ status: Int) -> Bool {
        status != 204 && status != 304
    }

    /// Whether a header can be written without breaking HTTP/1.1 framing (RFC 9110 token names,
    /// values without CR, LF or NUL).
    private static func canSend(_ field: HTTPField) -> Bool {
        !field.name.isEmpty
            && field.name.utf8.allSatisfy(isTokenByte)
            && !field.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs, as header values are read.
    var trimmingHTTPWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return self[first...last]
    }
}
