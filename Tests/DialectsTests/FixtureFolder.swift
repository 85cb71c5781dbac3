import Dialects
import Foundation
import SSE
import Testing

/// One provider's folder of recorded fixtures under `fixtures/streams/`, with the codec that reads
/// it and the outcome written by hand for each file in its `outcomes.json`.
struct FixtureFolder: Sendable, CustomTestStringConvertible {
    let dialect: Dialect
    let path: String
    /// Base names that exist as a stream (`.sse`) and as its non-stream twin (`.json`) of the same answer.
    let twins: [String]

    static let openAIChat = FixtureFolder(dialect: .openAIChat, path: "streams/openai_chat", twins: ["long-answer-usage", "tool-call"])
    static let openAIResponses = FixtureFolder(dialect: .openAIResponses, path: "streams/openai_responses",
                                               twins: ["text-stop", "tool-call", "length-cutoff"])
    static let anthropicMessages = FixtureFolder(dialect: .anthropicMessages, path: "streams/anthropic_messages",
                                                 twins: ["text-end-turn", "long-answer-usage", "tool-use", "max-tokens-cutoff"])
    static let gemini = FixtureFolder(dialect: .gemini, path: "streams/gemini", twins: ["long-answer-usage", "function-call", "text-stop"])
    static let all = [openAIChat, openAIResponses, anthropicMessages, gemini]

    var testDescription: String { dialect.rawValue }
    var codec: any DialectCodec { dialect.codec }
    /// Whether the provider sends tool arguments as a JSON object (so a body hands them back in
    /// compact form) rather than as the string the model wrote.
    var sendsArgumentsAsObjects: Bool { dialect == .anthropicMessages || dialect == .gemini }

    /// The fixture files (streams and bodies), `outcomes.json` excluded.
    var fixtureNames: [String] {
        Fixtures.files(under: path, extensions: ["sse", "json"]).map(\.lastPathComponent).filter { $0 != "outcomes.json" }
    }

    var fixtures: [Fixture] { fixtureNames.map(fixture) }

    func fixture(_ name: String) -> Fixture { Fixture(folder: self, name: name) }

    func expectedOutcomes() throws -> [String: Outcome] {
        try JSONDecoder().decode([String: Outcome].self, from: Data(Fixtures.bytes("\(path)/outcomes.json")))
    }

    /// Every fixture of every folder, for tests that take one file at a time.
    static var allFixtures: [Fixture] { all.flatMap(\.fixtures) }
}

/// One fixture file, decoded the way a client would: `.sse` through the parser and the
/// accumulator, `.json` as a body of unknown status.
struct Fixture: Sendable, CustomTestStringConvertible {
    let folder: FixtureFolder
    let name: String

    var testDescription: String { "\(folder.dialect.rawValue)/\(name)" }
    var isStream: Bool { name.hasSuffix(".sse") }
    var bytes: [UInt8] { get throws { try Fixtures.bytes("\(folder.path)/\(name)") } }
    var frames: [SSEFrame] { get throws { SSEParser.parse(try bytes) } }

    func outcome() throws -> Outcome {
        isStream ? folder.codec.outcome(fromFrames: try frames) : folder.codec.outcome(fromBody: try bytes, status: nil)
    }

    /// The dialect detection must name for this file. OpenAI's HTTP error bodies are the same bytes
    /// for Chat and Responses, so a Responses error body is detected as Chat.
    var detectedDialect: Dialect {
        folder.dialect == .openAIResponses && name.hasPrefix("http-") ? .openAIChat : folder.dialect
    }
}

extension Outcome {
    /// The outcome as `outcomes.json` keeps it: the JSON form holds the first choice only.
    var projected: Outcome {
        get throws { try JSONDecoder().decode(Outcome.self, from: JSONEncoder().encode(self)) }
    }

    /// The outcome with tool arguments in the compact sorted-key form a body carries them in when
    /// the provider sends arguments as a JSON object (Anthropic, Gemini) rather than as a string.
    var withCanonicalArguments: Outcome {
        var copy = self
        copy.toolCalls = toolCalls.map { call in
            var canonical = call
            if let parsed = try? JSONValue.parse(call.arguments) { canonical.arguments = JSONWriter.string(parsed) }
            return canonical
        }
        return copy
    }
}
