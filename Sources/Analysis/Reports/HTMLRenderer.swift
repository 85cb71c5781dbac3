import Dialects
import Foundation

/// `report.html`: one self-contained page (no network) with, per scenario, the two modes' timelines
/// side by side as SVG — upstream attempts as bars, client frames as ticks — and the findings.
public enum HTMLRenderer {
    public static func render(_ report: AnalysisReport) -> String {
        let counts = report.countsBySeverity
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Tapedeck analysis</title>
            <style>\(style)</style></head><body>
            <header><h1>Tapedeck analysis</h1>
            <p class="meta">Target <code>\(escape(report.target))</code> · \(report.scenarios.count) scenarios ·
            <span class="sev error">\(counts[.error] ?? 0) errors</span>
            <span class="sev warning">\(counts[.warning] ?? 0) warnings</span>
            <span class="sev info">\(counts[.info] ?? 0) info</span> · \(String(format: "%.1f", report.elapsedSeconds)) s</p>
            \(legend)
            </header><main>
            """
        html += overview(report)
        for (index, scenario) in report.scenarios.enumerated() {
            html += card(scenario, index: index)
        }
        html += "</main></body></html>\n"
        return html
    }

    private static func overview(_ report: AnalysisReport) -> String {
        var rows = ""
        for (index, scenario) in report.scenarios.enumerated() {
            let codes = scenario.findings.isEmpty
                ? "<span class=\"ok\">none</span>"
                : scenario.findings.map { "<span class=\"sev \($0.severity.rawValue)\">\($0.code.rawValue)</span>" }.joined(separator: " ")
            rows += "<tr><td><a href=\"#s\(index)\">\(escape(scenario.name))</a></td><td>\(escape(RunText.outcome(scenario.stream)))</td><td>\(escape(RunText.outcome(scenario.nonStream)))</td><td>\(codes)</td></tr>\n"
        }
        return "<table class=\"overview\"><thead><tr><th>scenario</th><th>stream</th><th>non-stream</th><th>findings</th></tr></thead><tbody>\n\(rows)</tbody></table>\n"
    }

    private static func card(_ scenario: ScenarioResult, index: Int) -> String {
        let severity = scenario.worstSeverity?.rawValue ?? "clean"
        var out = "<section class=\"card \(severity)\" id=\"s\(index)\"><h2>\(escape(scenario.name))</h2>"
        out += "<p class=\"summary\">\(escape(scenario.summary))</p>"
        if !scenario.findings.isEmpty {
            out += "<ul class=\"findings\">"
            for finding in scenario.findings {
                out += "<li><span class=\"sev \(finding.severity.rawValue)\">\(finding.code.rawValue)</span> \(escape(finding.message))"
                if !finding.evidence.isEmpty {
                    out += "<details><summary>evidence</summary><dl>"
                    for key in finding.evidence.keys.sorted() {
                        out += "<dt>\(escape(key))</dt><dd>\(escape(finding.evidence[key]!))</dd>"
                    }
                    out += "</dl></details>"
                }
                out += "</li>"
            }
            out += "</ul>"
        }
        let span = max(1, scenario.runs.map { run in
            max(Double(run.elapsedMilliseconds), run.attempts.map(\.endMilliseconds).max() ?? 0, run.clientFrames.map(\.milliseconds).max() ?? 0)
        }.max() ?? 1)
        let flagged = Set(scenario.findings.compactMap { $0.evidence["mode"] })
        out += "<div class=\"modes\">"
        for (mode, run) in [(Mode.stream, scenario.stream), (Mode.nonStream, scenario.nonStream)] {
            out += "<div class=\"mode\(flagged.contains(mode.rawValue) ? " flagged" : "")\"><h3>\(mode == .stream ? "stream" : "non-stream")</h3>"
            if let run {
                out += timeline(run, span: span)
                out += "<p class=\"outcome\">\(escape(RunText.outcome(run)))</p>"
                out += "<pre class=\"text\">\(escape(run.outcome.text.isEmpty ? "(no text)" : run.outcome.text))</pre>"
            } else {
                out += "<p class=\"outcome\">not run</p>"
            }
            out += "</div>"
        }
        out += "</div></section>\n"
        return out
    }

    /// The SVG of one mode: an axis, one bar per upstream attempt, one tick per client frame.
    static func timeline(_ run: ModeRun, span: Double) -> String {
        let width = 460.0
        let left = 10.0
        let plot = width - 2 * left
        let rowHeight = 22.0
        let top = 18.0
        let rows = run.attempts.count + 1
        let height = top + Double(rows) * rowHeight + 10
        func x(_ ms: Double) -> Double { left + plot * min(1, max(0, ms / span)) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-label=\"\(run.mode.rawValue) timeline\">"
        for step in axisSteps(span) {
            let px = x(step)
            svg += "<line x1=\"\(f(px))\" y1=\"12\" x2=\"\(f(px))\" y2=\"\(f(height - 6))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(px + 2))\" y=\"10\" class=\"axis\">\(Int(step)) ms</text>"
        }
        for (index, attempt) in run.attempts.enumerated() {
            let y = top + Double(index) * rowHeight
            let x0 = x(attempt.startMilliseconds)
            let x1 = max(x0 + 3, x(attempt.endMilliseconds))
            var label = "\(attempt.model) · \(attempt.ending.rawValue)"
            if let fault = attempt.fault { label += " · \(fault)" }
            if let continuation = attempt.continuation { label += " · \(continuation.style) continuation" }
            svg += "<g><title>\(escape(label)) (\(attempt.framesSent) frames, \(f(attempt.startMilliseconds))–\(f(attempt.endMilliseconds)) ms)</title>"
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(x1 - x0))\" height=\"\(f(rowHeight - 6))\" rx=\"3\" class=\"bar \(attempt.ending.rawValue)\"/>"
            if attempt.continuation != nil {
                svg += "<path d=\"M\(f(x0)) \(f(y - 2)) l5 5 l-5 5 l-5 -5 z\" class=\"cont\"/>"
            }
            svg += "<text x=\"\(f(left + 4))\" y=\"\(f(y + 12))\" class=\"label\">\(escape(label))</text></g>"
        }
        let clientY = top + Double(run.attempts.count) * rowHeight
        svg += "<text x=\"\(f(left))\" y=\"\(f(clientY + 14))\" class=\"axis\">client</text>"
        for frame in run.clientFrames {
            let px = x(frame.milliseconds)
            svg += "<line x1=\"\(f(px))\" y1=\"\(f(clientY + 2))\" x2=\"\(f(px))\" y2=\"\(f(clientY + rowHeight - 4))\" class=\"tick\"><title>\(f(frame.milliseconds)) ms, \(frame.bytes) bytes\(frame.text.isEmpty ? "" : ": " + escape(Evidence.clip(frame.text, 80)))</title></line>"
        }
        svg += "</svg>"
        return svg
    }

    static func axisSteps(_ span: Double) -> [Double] {
        let raw = span / 5
        let magnitude = pow(10, floor(log10(max(raw, 1))))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: 0, through: span, by: step).map { $0 }
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    private static let legend = """
        <p class="legend"><svg width="12" height="10"><rect width="12" height="10" class="bar complete"/></svg> complete
        <svg width="12" height="10"><rect width="12" height="10" class="bar http_error"/></svg> HTTP error
        <svg width="12" height="10"><rect width="12" height="10" class="bar in_band_error"/></svg> in-band error
        <svg width="12" height="10"><rect width="12" height="10" class="bar truncated"/></svg> truncated
        <svg width="12" height="10"><rect width="12" height="10" class="bar reset"/></svg> reset
        <svg width="12" height="10"><rect width="12" height="10" class="bar timeout"/></svg> timeout / stall
        <svg width="12" height="10"><path d="M6 0 l5 5 l-5 5 l-5 -5 z" class="cont"/></svg> continuation request</p>
        """

    private static let style = """
        body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
        header{padding:18px 28px;background:#fff;border-bottom:1px solid #dde1e6}h1{margin:0 0 4px;font-size:22px}
        main{padding:18px 28px}code{background:#eef0f3;padding:1px 4px;border-radius:3px}.meta{margin:0}
        .sev{display:inline-block;padding:0 6px;border-radius:3px;font:12px/18px ui-monospace,monospace;color:#fff}
        .sev.error{background:#c62828}.sev.warning{background:#b26a00}.sev.info{background:#1565c0}.ok{color:#2e7d32}
        table.overview{border-collapse:collapse;background:#fff;margin-bottom:18px;width:100%}
        .overview th,.overview td{border:1px solid #dde1e6;padding:4px 8px;text-align:left;vertical-align:top}
        .card{background:#fff;border:1px solid #dde1e6;border-left:6px solid #2e7d32;border-radius:4px;padding:10px 16px;margin-bottom:16px}
        .card.error{border-left-color:#c62828}.card.warning{border-left-color:#b26a00}.card.info{border-left-color:#1565c0}
        h2{margin:2px 0;font-size:17px}h3{margin:4px 0;font-size:14px}.summary{color:#55606e;margin:2px 0 8px}
        .findings{padding-left:18px}.findings li{margin:3px 0}dl{margin:4px 0;font-size:12px}dt{font-weight:600}dd{margin:0 0 4px 12px;white-space:pre-wrap;font-family:ui-monospace,monospace}
        .modes{display:grid;grid-template-columns:1fr 1fr;gap:16px}.mode{border:1px solid #e6e8eb;border-radius:4px;padding:6px 10px}
        .mode.flagged{border:2px solid #c62828}.outcome{margin:4px 0;font-weight:600}
        pre.text{white-space:pre-wrap;max-height:120px;overflow:auto;background:#f6f7f9;padding:6px;font-size:12px;margin:0}
        svg .grid{stroke:#e3e6ea}svg .axis{font:10px sans-serif;fill:#7a8490}svg .label{font:11px sans-serif;fill:#111}
        .bar{fill:#9e9e9e}.bar.complete{fill:#a5d6a7}.bar.http_error{fill:#ef9a9a}.bar.in_band_error{fill:#f48fb1}
        .bar.truncated{fill:#ffcc80}.bar.reset{fill:#ce93d8}.bar.timeout{fill:#b0bec5}.bar.client_aborted{fill:#e0e0e0}
        svg .tick{stroke:#1565c0;stroke-width:1.5}.cont{fill:#6a1b9a}.legend svg{vertical-align:middle}
        """
}
