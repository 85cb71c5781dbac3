import Dialects
import Foundation
import Testing

@testable import Analysis

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("Report renderers")
struct ReportRendererTests {
    static let report: AnalysisReport = {
        let cut = UpstreamAttempt(model: "primary", stream: true, fault: "cut:after=3", ending: .truncated, status: 200, framesSent: 3, startMilliseconds: 0, endMilliseconds: 40)
        let stream = ModeRun(
            mode: .stream,
            outcome: Outcome(dialect: .openAIChat, model: "primary", text: "Paris <is>", terminated: false),
            attempts: [cut], elapsedMilliseconds: 45,
            clientFrames: [ClientFrame(milliseconds: 10, bytes: 80, text: "Paris "), ClientFrame(milliseconds: 20, bytes: 80, text: "<is>")])
        let nonStream = ModeRun(
            mode: .nonStream,
            outcome: Outcome(dialect: .openAIChat, model: "fallback", text: "Paris is the capital & more.", finishReason: .stop,
                             usage: Usage(inputTokens: 10, outputTokens: 7), terminated: true),
            attempts: [
                UpstreamAttempt(model: "primary", stream: false, fault: "cut:after=3", ending: .truncated, startMilliseconds: 0, endMilliseconds: 30),
                UpstreamAttempt(model: "fallback", stream: false, ending: .complete, reportedModel: "fallback", startMilliseconds: 31, endMilliseconds: 60),
            ], elapsedMilliseconds: 61)
        let findings = Differ.compare(stream: stream, nonStream: nonStream)
        var cleanStream = nonStream
        cleanStream.mode = .stream
        let clean = ScenarioResult(name: "clean \"quoted\"", summary: "no fault", findings: [], stream: cleanStream, nonStream: nonStream)
        return AnalysisReport(
            target: "built-in router (fixtures/routers/demo.yaml)",
            scenarios: [ScenarioResult(name: "cut-after-3", summary: "cut:after=3 on primary", findings: findings, stream: stream, nonStream: nonStream), clean],
            elapsedSeconds: 1.25)
    }()

    @Test("the example report has findings to render")
    func exampleHasFindings() {
        #expect(Self.report.scenarios[0].findings.map(\.code).contains(.fallbackSkippedInStream))
    }

    @Test("report.json has the documented shape and decodes back")
    func json() throws {
        let text = try JSONReportRenderer.render(Self.report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["schema", "target", "elapsed_seconds", "summary", "scenarios"])
        let scenario = try #require((object["scenarios"] as? [[String: Any]])?.first)
        #expect(Set(scenario.keys).isSuperset(of: ["name", "findings", "outcomes", "attempts"]))
        let outcomes = try #require(scenario["outcomes"] as? [String: Any])
        let streamOutcome = try #require(outcomes["stream"] as? [String: Any])
        #expect(Set(streamOutcome.keys) == ["dialect", "model", "text", "tool_calls", "finish_reason", "usage", "error", "terminated"])
        let finding = try #require((scenario["findings"] as? [[String: Any]])?.first)
        #expect(Set(finding.keys) == ["code", "severity", "message", "evidence"])
        let decoded = try JSONDecoder().decode(AnalysisReport.self, from: Data(text.utf8))
        #expect(decoded.scenarios == Self.report.scenarios)
    }

    @Test("junit.xml is well-formed with one failing testcase per finding code")
    func junit() throws {
        let text = JUnitRenderer.render(Self.report)
        let parser = XMLParser(data: Data(text.utf8))
        let counter = TestcaseCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.testcases == 2 * FindingCode.allCases.count)
        #expect(counter.failures == Self.report.scenarios[0].findings.count)
    }

    @Test("report.md lists every finding code and escapes table cells")
    func markdown() {
        let text = MarkdownRenderer.render(Self.report)
        for finding in Self.report.findings { #expect(text.contains("`\(finding.code.rawValue)`")) }
        #expect(text.contains("| clean \"quoted\" |"))
    }

    @Test("report.html is self-contained and escapes text")
    func html() {
        let text = HTMLRenderer.render(Self.report)
        #expect(!text.contains("<script"))
        #expect(!text.contains("<link"))
        #expect(!text.contains("src=\"http"))
        #expect(text.contains("Paris &lt;is&gt;"))
        #expect(text.contains("<svg"))
        #expect(text.contains("class=\"mode flagged\""))
    }

    @Test("the terminal table has a row per scenario and the totals")
    func table() {
        let text = TableRenderer.render(Self.report)
        #expect(text.contains("cut-after-3"))
        #expect(text.contains("2 scenarios"))
        #expect(text.contains("ERROR ("))
    }

    @Test("fail-on compares severities")
    func failOn() {
        #expect(Self.report.hasFinding(atOrAbove: .error))
        let clean = AnalysisReport(target: "x", scenarios: [Self.report.scenarios[1]], elapsedSeconds: 0)
        #expect(!clean.hasFinding(atOrAbove: .info))
    }
}

private final class TestcaseCounter: NSObject, XMLParserDelegate {
    var testcases = 0
    var failures = 0
    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if elementName == "testcase" { testcases += 1 }
        if elementName == "failure" { failures += 1 }
    }
}
