import Dialects
import Foundation
import SSE

/// Loads the OpenAI fixture folders and their hand-written `outcomes.json`, and decodes a fixture
/// the way a client would: `.sse` through the parser and the accumulator, `.json` as a body.
enum OpenAIFixtureSupport {
    /// The fixture files of a folder (streams and bodies), `outcomes.json` excluded.
    static func fixtureNames(in folder: String) -> [String] {
        Fixtures.files(under: folder, extensions: ["sse", "json"])
            .map(\.lastPathComponent)
            .filter { $0 != "outcomes.json" }
    }

    static func expectedOutcomes(in folder: String) throws -> [String: Outcome] {
        let data = try Data(contentsOf: Fixtures.url("\(folder)/outcomes.json"))
        return try JSONDecoder().decode([String: Outcome].self, from: data)
    }

    static func frames(_ folder: String, _ name: String) throws -> [SSEFrame] {
        SSEParser.parse(try Fixtures.bytes("\(folder)/\(name)"))
    }

    static func decode(_ folder: String, _ name: String, with codec: any DialectCodec) throws -> Outcome {
        if name.hasSuffix(".sse") { return codec.outcome(fromFrames: try frames(folder, name)) }
        return codec.outcome(fromBody: try Fixtures.bytes("\(folder)/\(name)"), status: nil)
    }

    /// The outcome as its JSON form keeps it (first choice only), for comparing with `outcomes.json`.
    static func projected(_ outcome: Outcome) throws -> Outcome {
        try JSONDecoder().decode(Outcome.self, from: JSONEncoder().encode(outcome))
    }

    /// The outcome of a synthesized stream, read back through the wire bytes.
    static func reparsed(_ outcome: Outcome, with codec: any DialectCodec) -> Outcome {
        codec.outcome(fromFrames: SSEParser.parse(codec.streamBytes(for: outcome)))
    }

    /// The outcome of a synthesized body, read back through its bytes.
    static func reparsedBody(_ outcome: Outcome, with codec: any DialectCodec) -> Outcome {
        codec.outcome(fromBody: JSONWriter.bytes(codec.body(for: outcome)), status: 200)
    }
}
