import Dialects
import Foundation
import SSE

/// The `--json` form of `tapedeck inspect`: `{"file", "format", "dialect", "frames", "outcome"}`.
enum InspectionJSON {
    struct Document: Encodable {
        var file: String
        var format: InspectedResponse.Format
        var frames: Int
        var bytes: Int
        var outcome: Outcome
    }

    static func render(_ inspected: InspectedResponse, file: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(
            file: file, format: inspected.format, frames: inspected.frames.count, bytes: inspected.byteCount,
            outcome: inspected.outcome)
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}

/// The human form of `tapedeck inspect`: one line per frame, then the outcome.
enum InspectionText {
    static func render(_ inspected: InspectedResponse, file: String) -> String {
        var lines: [String] = []
        lines.append("\(file): \(inspected.dialect.rawValue) \(inspected.format.rawValue), \(inspected.byteCount) bytes")
        if inspected.format == .stream {
            lines.append("")
            lines.append("   #   offset   size  event")
            var offset = 0
            for (index, frame) in inspected.frames.enumerated() {
                let label = describe(frame)
                lines.append(pad(index, 4) + "  " + pad(offset, 7) + "  " + pad(frame.raw.count, 5) + "  " + label)
                offset += frame.raw.count
            }
        }
        let outcome = inspected.outcome
        lines.append("")
        lines.append("outcome")
        lines.append("  model:         \(outcome.model ?? "-")")
        lines.append("  text:          \(quote(outcome.text))")
        for call in outcome.toolCalls {
            lines.append("  tool call:     \(call.name) [\(call.id)] \(call.arguments)")
        }
        lines.append("  finish reason: \(outcome.finishReason?.rawValue ?? "-")")
        if let usage = outcome.usage {
            lines.append("  usage:         \(usage.inputTokens) in, \(usage.outputTokens) out")
        } else {
            lines.append("  usage:         -")
        }
        if let error = outcome.error {
            lines.append("  error:         \(error.kind.rawValue)\(error.status.map { " (HTTP \($0))" } ?? ""): \(error.message)")
        } else {
            lines.append("  error:         -")
        }
        lines.append("  terminated:    \(outcome.terminated ? "yes" : "no")")
        return lines.joined(separator: "\n")
    }

    private static func describe(_ frame: SSEFrame) -> String {
        var label: String
        if let event = frame.event {
            let data = event.data.count > 60 ? String(event.data.prefix(57)) + "..." : event.data
            label = (event.type == "message" ? "" : "\(event.type) ") + data
        } else if !frame.comments.isEmpty {
            label = "(comment)" + frame.comments.joined(separator: " ")
        } else {
            label = "(blank line)"
        }
        if !frame.isTerminated { label += "  [unterminated]" }
        return label.replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    private static func quote(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count > 200 ? "\"\(flat.prefix(197))...\" (\(text.count) characters)" : "\"\(flat)\""
    }
}
