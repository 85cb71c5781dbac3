import Dialects
import Foundation
import Testing

private struct Document: Decodable {
    var outcome: Outcome
}

/// `tapedeck inspect` run as a process, on every provider fixture.
@Suite("tapedeck inspect")
struct InspectCommandTests {
    static let fixtures: [String] = Fixtures.files(under: "streams", extensions: ["sse", "json"])
        .filter { $0.lastPathComponent != "outcomes.json" }
        .map { $0.path.replacingOccurrences(of: Fixtures.root.path + "/", with: "") }

    @Test("--json prints the outcome recorded in the folder's outcomes.json", arguments: fixtures)
    func jsonOutcomeMatchesExpectation(path: String) throws {
        // OpenAI's HTTP error bodies are byte-for-byte the same for Chat and Responses, so those
        // files name their dialect; every other fixture is auto-detected.
        let ambiguous = path.hasPrefix("streams/openai_responses/http-")
        let result = try TapedeckProcess.run(
            ["inspect", "fixtures/\(path)", "--json"] + (ambiguous ? ["--dialect", "openai_responses"] : []))
        #expect(result.status == 0, "\(result.stderr)")
        let printed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let outcome = try #require(printed?["outcome"] as? [String: Any])
        #expect(Set(outcome.keys) == ["dialect", "model", "text", "tool_calls", "finish_reason", "usage", "error", "terminated"])

        let folder = (path as NSString).deletingLastPathComponent
        let expectations = try JSONDecoder().decode(
            [String: Outcome].self, from: Data(try Fixtures.bytes("\(folder)/outcomes.json")))
        let expected = try #require(expectations[(path as NSString).lastPathComponent])
        let printedOutcome = try JSONDecoder().decode(Document.self, from: Data(result.stdout.utf8)).outcome
        #expect(printedOutcome == expected)
    }

    @Test("the human view lists frames and the outcome")
    func humanView() throws {
        let path = try #require(Self.fixtures.first { $0.hasSuffix(".sse") })
        let result = try TapedeckProcess.run(["inspect", "fixtures/\(path)"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("offset"))
        #expect(result.stdout.contains("terminated:"))
    }

    @Test("an undetectable file is one clear error and a non-zero exit")
    func undetectable() throws {
        let result = try TapedeckProcess.run(["inspect", "fixtures/sse/multiline-data.sse"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot tell which provider dialect fixtures/sse/multiline-data.sse is in"))
        #expect(result.stdout.isEmpty)
    }

    @Test("a missing file is named in the error")
    func missingFile() throws {
        let result = try TapedeckProcess.run(["inspect", "no/such/file.sse"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no/such/file.sse does not exist."))
    }

    @Test("--dialect forces a dialect")
    func forcedDialect() throws {
        let result = try TapedeckProcess.run(["inspect", "fixtures/sse/multiline-data.sse", "--dialect", "bogus"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("bogus"))
    }
}
