import Dialects
import Recorder
import Testing

@Suite("Log throttle and metrics text")
struct SmallPartsTests {
    @Test("a throttled message passes once per interval and reports how many were held back")
    func throttle() {
        var throttle = LogThrottle(interval: .seconds(10))
        let start = ContinuousClock.now
        #expect(throttle.admit(at: start) == (true, 0))
        #expect(throttle.admit(at: start + .seconds(1)).log == false)
        #expect(throttle.admit(at: start + .seconds(9)).log == false)
        #expect(throttle.admit(at: start + .seconds(10)) == (true, 2))
        #expect(throttle.admit(at: start + .seconds(11)).log == false)
        #expect(throttle.admit(at: start + .seconds(25)) == (true, 1))
    }

    @Test("the exposition lists every ending, frames, bytes, queue depth and dropped writes")
    func exposition() {
        var snapshot = MetricsSnapshot()
        snapshot.interactions = [.complete: 3, .reset: 1]
        snapshot.frames = 42
        snapshot.responseBytes = 1_000
        snapshot.requestBytes = 80
        snapshot.droppedWrites = 2
        snapshot.writerQueueDepth = 5
        let text = PrometheusText.render(snapshot)
        for line in [
            "tapedeck_recorder_interactions_total{ending=\"complete\"} 3",
            "tapedeck_recorder_interactions_total{ending=\"reset\"} 1",
            "tapedeck_recorder_interactions_total{ending=\"client_aborted\"} 0",
            "tapedeck_recorder_frames_total 42",
            "tapedeck_recorder_bytes_total{direction=\"response\"} 1000",
            "tapedeck_recorder_bytes_total{direction=\"request\"} 80",
            "tapedeck_recorder_writer_queue_depth 5",
            "tapedeck_recorder_dropped_writes_total 2",
            "# TYPE tapedeck_recorder_frames_total counter",
            "# TYPE tapedeck_recorder_writer_queue_depth gauge",
        ] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "\(line)")
        }
    }
}
