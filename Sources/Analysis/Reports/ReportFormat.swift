import Foundation

/// The report formats `tapedeck analyze --format` accepts, and the file each is written to.
public enum ReportFormat: String, CaseIterable, Sendable {
    case table
    case md
    case html
    case json
    case junit

    /// The file name in the report directory; the table goes to the terminal only.
    public var fileName: String? {
        switch self {
        case .table: return nil
        case .md: return "report.md"
        case .html: return "report.html"
        case .json: return "report.json"
        case .junit: return "junit.xml"
        }
    }

    /// Renders a report in this format.
    public func render(_ report: AnalysisReport) throws -> String {
        switch self {
        case .table: return TableRenderer.render(report)
        case .md: return MarkdownRenderer.render(report)
        case .html: return HTMLRenderer.render(report)
        case .json: return try JSONReportRenderer.render(report)
        case .junit: return JUnitRenderer.render(report)
        }
    }
}

/// `report.json`: the whole report, keys sorted, outcomes in the `tapedeck inspect --json` shape.
public enum JSONReportRenderer {
    public static func render(_ report: AnalysisReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }
}
