import Foundation
import Dialects

/// Short descriptions of runs shared by the text renderers.
enum RunText {
    /// `ok 64 chars from gpt-4o` or `error rate_limit (429)` or `no terminator`.
    static func outcome(_ run: ModeRun?) -> String {
        guard let run else { return "not run" }
        if run.hung { return "hung" }
        let outcome = run.outcome
        if let error = outcome.error {
            return "error \(error.kind.rawValue)\(error.status.map { " (\($0))" } ?? "")"
        }
        let size = "\(outcome.text.count) chars" + (outcome.toolCalls.isEmpty ? "" : " + \(outcome.toolCalls.count) tool calls")
        return (outcome.terminated ? "ok " : "no terminator, ") + size + (outcome.model.map { " from \($0)" } ?? "")
    }

    /// `primary ✗ → fallback ✓`: the attempts the upstreams saw, in order.
    static func path(_ run: ModeRun?) -> String {
        guard let run, !run.attempts.isEmpty else { return "-" }
        return run.attempts.map { "\($0.model) \($0.ending == .complete ? "✓" : "✗")" }.joined(separator: " → ")
    }

    static func codes(_ scenario: ScenarioResult) -> String {
        scenario.findings.isEmpty ? "none" : scenario.findings.map(\.code.rawValue).joined(separator: ", ")
    }
}

/// The terminal table: one row per scenario, then findings grouped by severity.
public enum TableRenderer {
    public static func render(_ report: AnalysisReport) -> String {
        let header = ["scenario", "stream", "non-stream", "findings"]
        let rows = report.scenarios.map { [$0.name, RunText.outcome($0.stream), RunText.outcome($0.nonStream), RunText.codes($0)] }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = min(48, max(widths[index], cell.count)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let clipped = cell.count > widths[index] ? String(cell.prefix(widths[index] - 1)) + "…" : cell
                return clipped + String(repeating: " ", count: widths[index] - clipped.count)
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = [line(header), line(widths.map { String(repeating: "─", count: $0) })]
        out += rows.map(line)
        out.append("")
        for severity in Severity.allCases.reversed() {
            let findings = report.scenarios.flatMap { scenario in scenario.findings.filter { $0.severity == severity }.map { (scenario.name, $0) } }
            guard !findings.isEmpty else { continue }
            out.append("\(severity.rawValue.uppercased()) (\(findings.count))")
            for (name, finding) in findings {
                out.append("  \(name): \(finding.code.rawValue): \(finding.message)")
            }
            out.append("")
        }
        let counts = report.countsBySeverity
        out.append("\(report.scenarios.count) scenarios, \(counts[.error] ?? 0) errors, \(counts[.warning] ?? 0) warnings, \(counts[.info] ?? 0) info in \(String(format: "%.1f", report.elapsedSeconds)) s against \(report.target)")
        return out.joined(separator: "\n")
    }
}

/// `report.md`: a summary for a pull request, findings first, then every scenario.
public enum MarkdownRenderer {
    public static func render(_ report: AnalysisReport) -> String {
        let counts = report.countsBySeverity
        var out = ["# Tapedeck analysis", ""]
        out.append("Target: `\(report.target)` · \(report.scenarios.count) scenarios · **\(counts[.error] ?? 0) errors**, \(counts[.warning] ?? 0) warnings, \(counts[.info] ?? 0) info")
        out.append("")
        out.append("| scenario | stream | non-stream | findings |")
        out.append("|---|---|---|---|")
        for scenario in report.scenarios {
            let codes = scenario.findings.isEmpty ? "✅ none" : scenario.findings.map { "`\($0.code.rawValue)`" }.joined(separator: " ")
            out.append("| \(escape(scenario.name)) | \(escape(RunText.outcome(scenario.stream))) | \(escape(RunText.outcome(scenario.nonStream))) | \(codes) |")
        }
        let withFindings = report.scenarios.filter { !$0.findings.isEmpty }
        if !withFindings.isEmpty {
            out.append("")
            out.append("## Findings")
            for scenario in withFindings {
                out.append("")
                out.append("### \(escape(scenario.name))")
                out.append("")
                out.append(escape(scenario.summary))
                out.append("")
                for finding in scenario.findings {
                    out.append("- **\(finding.severity.rawValue)** `\(finding.code.rawValue)`: \(escape(finding.message))")
                    for key in finding.evidence.keys.sorted() {
                        out.append("  - \(key): `\(finding.evidence[key]!.replacingOccurrences(of: "`", with: "'"))`")
                    }
                }
                out.append("")
                out.append("Attempts: stream \(escape(RunText.path(scenario.stream))); non-stream \(escape(RunText.path(scenario.nonStream)))")
            }
        }
        out.append("")
        return out.joined(separator: "\n")
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

/// `junit.xml`: one testsuite per scenario, one testcase per check (finding code), failing where found.
public enum JUnitRenderer {
    public static func render(_ report: AnalysisReport) -> String {
        let total = report.scenarios.count * FindingCode.allCases.count
        let failures = report.scenarios.reduce(0) { $0 + Set($1.findings.map(\.code)).count }
        var out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        out.append("<testsuites name=\"tapedeck\" tests=\"\(total)\" failures=\"\(failures)\" time=\"\(String(format: "%.3f", report.elapsedSeconds))\">")
        for scenario in report.scenarios {
            let failed = Set(scenario.findings.map(\.code))
            out.append("  <testsuite name=\"\(xml(scenario.name))\" tests=\"\(FindingCode.allCases.count)\" failures=\"\(failed.count)\">")
            for code in FindingCode.allCases {
                let findings = scenario.findings.filter { $0.code == code }
                if findings.isEmpty {
                    out.append("    <testcase classname=\"\(xml(scenario.name))\" name=\"\(code.rawValue)\"/>")
                } else {
                    out.append("    <testcase classname=\"\(xml(scenario.name))\" name=\"\(code.rawValue)\">")
                    for finding in findings {
                        let detail = finding.evidence.keys.sorted().map { "\($0): \(finding.evidence[$0]!)" }.joined(separator: "\n")
                        out.append("      <failure type=\"\(finding.severity.rawValue)\" message=\"\(xml(finding.message))\">\(xml(detail))</failure>")
                    }
                    out.append("    </testcase>")
                }
            }
            out.append("  </testsuite>")
        }
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }

    static func xml(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20: out += "?"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
