import ArgumentParser
import Cassettes
import Dialects
import Foundation
import SSE

/// `tapedeck cassette show CASSETTE ID`.
struct CassetteShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one interaction: request, response head, frames as a timeline, and the outcome a client got."
    )

    @Argument(help: "The cassette.")
    var cassette: String

    @Argument(help: "The interaction id (see `tapedeck cassette ls`).")
    var id: String

    @Flag(help: "Print frames and bodies in full instead of cutting long lines.")
    var full = false

    @Flag(name: .customLong("no-outcome"), help: "Skip decoding the outcome with the dialect's codec.")
    var noOutcome = false

    func run() throws {
        try requireFile(cassette)
        let store = try CassetteStore(path: cassette, mode: .readOnly)
        let interaction = try store.interaction(id: id)
        print(render(interaction))
        if !noOutcome, let outcome = Self.outcome(of: interaction) {
            print("outcome")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let text = String(decoding: (try? encoder.encode(outcome)) ?? Data(), as: UTF8.self)
            print(text.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
    }

    /// What a client of the interaction's dialect ends up with.
    static func outcome(of interaction: Interaction) -> Outcome? {
        guard let dialect = interaction.dialect else { return nil }
        switch interaction.content {
        case .frames(let frames):
            guard interaction.response.map({ (200..<300).contains($0.status) }) == true else { return nil }
            var parser = SSEParser()
            var parsed: [SSEFrame] = []
            for frame in frames { parsed += parser.feed(frame.bytes) }
            parsed += parser.finish()
            return dialect.codec.outcome(fromFrames: parsed)
        case .body(let body):
            guard let status = interaction.status else { return nil }
            return dialect.codec.outcome(fromBody: body, status: status)
        }
    }

    func render(_ interaction: Interaction) -> String {
        var lines: [String] = []
        lines.append("interaction \(interaction.id)")
        lines.append(CassetteOutput.table([
            ["  recorded", Timestamp.format(interaction.recordedAt)],
            ["  provider", "\(interaction.provider) (\(interaction.dialect?.rawValue ?? "unknown dialect"))"],
            ["  model", interaction.model ?? "-"],
            ["  stream", interaction.stream ? "yes" : "no"],
            ["  ending", interaction.ending.rawValue],
            ["  duration", interaction.durationMicros.map(CassetteOutput.millis) ?? "-"],
            ["  session", interaction.sessionID ?? "-"],
            ["  tags", interaction.tags.isEmpty ? "-" : interaction.tags.joined(separator: ", ")],
            ["  fingerprint", interaction.fingerprint],
        ]))
        lines.append("request")
        lines.append("  \(interaction.request.method) \(interaction.request.target)")
        for header in interaction.request.headers { lines.append("  \(header.name): \(header.value)") }
        if !interaction.request.body.isEmpty {
            lines.append("  body (\(CassetteOutput.bytes(interaction.request.body.count))):")
            lines.append("    " + printable(interaction.request.body, limit: full ? nil : 400))
        }
        lines.append("response")
        if let head = interaction.response {
            lines.append("  \(head.status)" + (head.offsetMicros.map { " after \(CassetteOutput.millis($0))" } ?? ""))
            for header in head.headers { lines.append("  \(header.name): \(header.value)") }
        } else {
            lines.append("  no response head arrived")
        }
        switch interaction.content {
        case .frames(let frames):
            lines.append("frames (\(frames.count), \(CassetteOutput.bytes(interaction.content.byteCount)))")
            var previous: Int64? = nil
            for (index, frame) in frames.enumerated() {
                let gap = previous.map { "+" + CassetteOutput.millis(frame.offsetMicros - $0) } ?? ""
                previous = frame.offsetMicros
                let columns = [String(index).leftPadded(4), CassetteOutput.millis(frame.offsetMicros).leftPadded(10),
                               gap.leftPadded(10), "\(frame.bytes.count) B".leftPadded(7)]
                lines.append("  " + columns.joined(separator: "  ") + "  " + printable(frame.bytes, limit: full ? nil : 120))
            }
        case .body(let body):
            lines.append("body (\(CassetteOutput.bytes(body.count)))")
            if !body.isEmpty { lines.append("  " + printable(body, limit: full ? nil : 2000)) }
        }
        return lines.joined(separator: "\n")
    }

    /// Bytes as one line: line breaks shown as \r and \n; past `limit` characters the middle is
    /// cut, since a stream chunk's news (the delta, the finish reason) sits towards its end.
    func printable(_ bytes: [UInt8], limit: Int?) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else { return "<\(bytes.count) bytes, not UTF-8>" }
        let escaped = text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
        guard let limit, escaped.count > limit else { return escaped }
        return String(escaped.prefix(limit / 3)) + " … " + String(escaped.suffix(limit - limit / 3))
    }
}

extension String {
    /// The string right-aligned in a column of `width` characters.
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
