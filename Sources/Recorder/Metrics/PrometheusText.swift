import Dialects

/// Renders a metrics snapshot in Prometheus' text exposition format (version 0.0.4).
///
/// Written by hand: a few counters and gauges need no metrics framework, and a process-global
/// `MetricsSystem` bootstrap would tie every recorder in one process (tests) to one registry.
public enum PrometheusText {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ snapshot: MetricsSnapshot) -> String {
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Int)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { text += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        metric(
            "tapedeck_recorder_interactions_total", "counter", "Interactions recorded, by how they ended.",
            Ending.allCases.map { ("{ending=\"\($0.rawValue)\"}", snapshot.interactions[$0, default: 0]) })
        metric("tapedeck_recorder_frames_total", "counter", "SSE frames relayed.", [("", snapshot.frames)])
        metric(
            "tapedeck_recorder_bytes_total", "counter", "Body bytes relayed, by direction.",
            [("{direction=\"request\"}", snapshot.requestBytes), ("{direction=\"response\"}", snapshot.responseBytes)])
        metric(
            "tapedeck_recorder_writer_queue_depth", "gauge", "Interactions waiting to be written to the cassette.",
            [("", snapshot.writerQueueDepth)])
        metric(
            "tapedeck_recorder_dropped_writes_total", "counter",
            "Interactions that could not be written to the cassette (traffic was relayed regardless).",
            [("", snapshot.droppedWrites)])
        metric(
            "tapedeck_recorder_committed_writes_total", "counter",
            "Interactions committed to the cassette (from then on they survive a crash of the recorder).",
            [("", snapshot.committedWrites)])
        metric(
            "tapedeck_recorder_committed_open_writes_total", "counter",
            "Exchanges under way whose open row was committed (a crash from then on leaves them as interrupted).",
            [("", snapshot.committedOpenWrites)])
        metric("tapedeck_recorder_active_streams", "gauge", "Exchanges being relayed now.", [("", snapshot.activeExchanges)])
        return text
    }
}
