import Foundation
import Testing

/// `tapedeck inspect` run as a process, on every provider fixture.
@Suite("tapedeck inspect")
struct InspectCommandTests {
    static let fixtures: [String] = Fixtures.files(under: "streams", extensions: ["sse", "json"])
        .filter { $0.lastPathComponent != "outcomes.json" }
        .map { $0.path.replacingOccurrences(of: Fixtures.root.path + "/", with: "") }

    @Test("--json prints the outcome recorded in the folder's outcomes.json", arguments: fixtures)
    func jsonOutcomeMatchesExpectation(path: String) throws {
        let result = try TapedeckProcess.run(["inspect", "fixtures/\(path)", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let outcome = try #require(printed?["outcome"] as? [String: Any])
        #expect(Set(outcome.keys) == ["dialect", "model", "text", "tool_calls", "finish_reason", "usage", "error", "terminated"])

        let folder = (path as NSString).deletingLastPathComponent
        let expectations = try JSONSerialization.jsonObject(
            with: Data(try Fixtures.bytes("\(folder)/outcomes.json"))) as? [String: Any]
        let expected = try #require(expectations?[(path as NSString).lastPathComponent] as? [String: Any])
        #expect(NSDictionary(dictionary: outcome).isEqual(to: expected), "got \(outcome)")
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
