import Dialects
import Replay

/// Small renderers that turn runs into evidence strings for findings.
enum Evidence {
    static func clip(_ text: String, _ limit: Int = 300) -> String {
        text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    static func describe(_ outcome: Outcome) -> String {
        if let error = outcome.error {
            return "with \(error.kind.rawValue)\(error.status.map { " (\($0))" } ?? "")"
        }
        return outcome.terminated ? "successfully" : "without a terminator"
    }

    static func attempts(_ run: ModeRun) -> String {
        run.attempts.map { attempt in
            var parts = [attempt.model, attempt.ending.rawValue]
            if let fault = attempt.fault { parts.append("fault \(fault)") }
            if let continuation = attempt.continuation { parts.append("\(continuation.style) continuation") }
            return parts.joined(separator: " ")
        }.joined(separator: "; ")
    }

    static func usage(_ usage: Usage?) -> String {
        usage.map { "\($0.inputTokens) in / \($0.outputTokens) out" } ?? "no usage"
    }

    static func modes(_ pair: RunPair, _ key: String, _ value: (ModeRun) -> String) -> [String: String] {
        ["stream_\(key)": value(pair.stream), "non_stream_\(key)": value(pair.nonStream)]
    }

    /// The index of the first character where two texts differ.
    static func firstDifference(_ a: String, _ b: String) -> Int {
        var index = 0
        for (x, y) in zip(a, b) {
            if x != y { break }
            index += 1
        }
        return index
    }

    /// A model name reported by a provider matches a requested one when either extends the other
    /// (`gpt-4o` answered as `gpt-4o-2024-08-06`).
    static func sameModel(_ a: String, _ b: String) -> Bool {
        guard let x = ModelName.bare(a), let y = ModelName.bare(b) else { return false }
        return x == y || x.hasPrefix(y) || y.hasPrefix(x)
    }

    /// The longest opening of at least 12 characters that the text immediately repeats.
    static func repeatedOpening(_ text: String) -> String? {
        let characters = Array(text)
        guard characters.count >= 24 else { return nil }
        for length in stride(from: characters.count / 2, through: 12, by: -1)
        where characters[0..<length] == characters[length..<(2 * length)] {
            return String(characters[0..<length])
        }
        return nil
    }
}
