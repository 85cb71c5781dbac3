/// Reads OpenAI message content, which is either a string or a list of typed parts.
enum OpenAIContent {
    /// The text of a content value: the string itself, or the text (and refusal) parts joined with
    /// a line break; images, audio and files are left out. Null or absent content is empty.
    static func text(of content: JSONValue?) -> String {
        switch content {
        case .string(let text)?: return text
        case .array(let parts)?:
            return parts.compactMap { part in
                if let text = part.stringValue { return text }
                return part["text"]?.stringValue ?? part["refusal"]?.stringValue
            }.joined(separator: "\n")
        default: return ""
        }
    }

    /// The role a request turn is reported with: `developer` is a system prompt and the legacy
    /// `function` role is a tool result.
    static func normalizedRole(_ role: String?) -> String {
        switch role {
        case "developer": return "system"
        case "function": return "tool"
        case let role?: return role
        case nil: return "user"
        }
    }

    /// The request path without its query string.
    static func endpoint(of path: String) -> String {
        path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
    }

    /// Token counts from an OpenAI usage object: Chat's `prompt_tokens`/`completion_tokens` or
    /// Responses' `input_tokens`/`output_tokens`. Nil when absent or null.
    static func usage(_ value: JSONValue?) -> Usage? {
        guard let value, case .object = value else { return nil }
        let input = value["prompt_tokens"]?.intValue ?? value["input_tokens"]?.intValue
        let output = value["completion_tokens"]?.intValue ?? value["output_tokens"]?.intValue
        if input == nil && output == nil { return nil }
        return Usage(inputTokens: input ?? 0, outputTokens: output ?? 0)
    }

    /// True for a 2xx status; nil (unknown) is not.
    static func isSuccess(_ status: Int?) -> Bool { status.map { (200..<300).contains($0) } ?? false }
}
