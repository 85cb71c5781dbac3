import Dialects
import SSE

/// `malformed:at=N`: the stream is replayed with content event number `N` (counted from 0, so
/// `N` intact events come first) turned into invalid JSON in the same SSE framing: its `event:`
/// and `id:` lines and line endings are kept, its data becomes the first half of the original
/// JSON. The rest of the stream follows unchanged. When the stream has fewer events, the last
/// content event is the one broken. Without streaming, the whole body is replaced by its first
/// half (announced with its own length, so the response itself is complete).
public struct MalformedFault: Fault {
    public static let kind = "malformed"
    public static let keys = ["at"]

    /// The content event to break, counted from 0.
    public var at: Int

    public init(at: Int) {
        self.at = at
    }

    public init(parameters: inout FaultParameters) throws(FaultSpecError) {
        at = try parameters.count("at")
    }

    public var parameters: [(key: String, value: String)] { [(key: "at", value: String(at))] }

    public func plan(stream: CleanStream, in context: FaultContext) -> WirePlan {
        var frames = stream.pacedFrames(context.pacing)
        if let target = StreamLayout(frames: stream.frames, codec: context.codec).contentFrameIndex(at) {
            frames[target].bytes = Self.breakingData(of: frames[target].bytes)
        }
        var plan = WirePlanBuilder()
        plan.streamHead(status: stream.status, headers: stream.headers)
        plan.write(frames)
        plan.end(stream.end.step)
        return plan.plan
    }

    public func plan(body: CleanBody, in context: FaultContext) -> WirePlan {
        let broken = Array(Self.invalidJSON(from: String(decoding: body.bytes, as: UTF8.self)).utf8)
        var plan = WirePlanBuilder()
        plan.pause(context.pacing.scaled(body.offsetMicros))
        plan.bodyHead(status: body.status, headers: body.headers, length: broken.count)
        plan.write(broken)
        plan.end(.finish)
        return plan.plan
    }

    /// Text that no JSON parser accepts, made from the start of `text`, as a corrupted or
    /// truncated payload looks: its first half, with a stray `}` when that half is valid alone.
    static func invalidJSON(from text: String) -> String {
        let scalars = text.unicodeScalars
        var half = String(String.UnicodeScalarView(scalars.prefix(scalars.count / 2)))
        if half.isEmpty { half = "{" }
        if (try? JSONValue.parse(half)) != nil { half += "}" }
        return half
    }

    /// The block with its data lines replaced by invalid JSON, every other line kept as is.
    static func breakingData(of block: [UInt8]) -> [UInt8] {
        let data = SSEParser.parse(block).compactMap(\.event).first?.data ?? ""
        let broken = invalidJSON(from: data).split(separator: "\n", omittingEmptySubsequences: false)
        var out: [UInt8] = []
        var replaced = false
        var inFirstBlock = true
        for line in lines(of: block) {
            let content = line.content
            if inFirstBlock && content.isEmpty {
                inFirstBlock = false
            } else if inFirstBlock && isDataLine(content) {
                if !replaced {
                    for piece in broken { out += Array("data: \(piece)".utf8) + line.terminator }
                    replaced = true
                }
                continue
            }
            out += content + line.terminator
        }
        return out
    }

    private static func isDataLine(_ line: [UInt8]) -> Bool {
        let name = Array("data".utf8)
        return line.starts(with: name) && (line.count == name.count || line[name.count] == UInt8(ascii: ":"))
    }

    /// Lines with their own terminators (CRLF, LF or CR), the last one possibly unterminated.
    private static func lines(of bytes: [UInt8]) -> [(content: [UInt8], terminator: [UInt8])] {
        var result: [(content: [UInt8], terminator: [UInt8])] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                var end = index + 1
                if byte == 0x0D, end < bytes.count, bytes[end] == 0x0A { end += 1 }
                result.append((Array(bytes[start..<index]), Array(bytes[index..<end])))
                start = end
                index = end
            } else {
                index += 1
            }
        }
        if start < bytes.count { result.append((Array(bytes[start...]), [])) }
        return result
    }
}
