import Cassettes
import Recorder
import SSE
import Testing

@Suite("Admin port")
struct MetricsTests {
    @Test("/metrics counts interactions by ending, frames and bytes; /healthz says ok")
    func metrics() async throws {
        let stream = try Fixtures.bytes("streams/openai_chat/text-stop.sse")
        let rateLimit = try Fixtures.bytes("streams/openai_chat/http-429-rate-limit.json")
        let harness = try await RecorderHarness { request, responder in
            if request.text.contains("limited") {
                try await responder.head(.tooManyRequests, [("content-type", "application/json"), ("content-length", "\(rateLimit.count)")])
                try await responder.send(rateLimit)
            } else {
                try await responder.head(.ok, [("content-type", "text/event-stream")])
                try await responder.send(stream)
            }
            try await responder.end()
        }
        defer { harness.remove() }
        let okBody = #"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"stream":true}"#
        let limitedBody = #"{"model":"gpt-4o","messages":[{"role":"user","content":"limited"}],"stream":true}"#
        _ = try await harness.send("/v1/chat/completions", body: okBody)
        _ = try await harness.send("/v1/chat/completions", body: okBody)
        _ = try await harness.send("/v1/chat/completions", body: limitedBody)

        let metrics = try await harness.admin("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers.first(name: "content-type") == PrometheusText.contentType)
        let lines = Set(metrics.text.split(separator: "\n").map(String.init))
        let frames = SSEParser.parse(stream).count * 2
        for line in [
            "tapedeck_recorder_interactions_total{ending=\"complete\"} 2",
            "tapedeck_recorder_interactions_total{ending=\"http_error\"} 1",
            "tapedeck_recorder_frames_total \(frames)",
            "tapedeck_recorder_bytes_total{direction=\"response\"} \(stream.count * 2 + rateLimit.count)",
            "tapedeck_recorder_bytes_total{direction=\"request\"} \(okBody.utf8.count * 2 + limitedBody.utf8.count)",
            "tapedeck_recorder_dropped_writes_total 0",
            "tapedeck_recorder_active_streams 0",
        ] {
            #expect(lines.contains(line), "\(line) missing from:\n\(metrics.text)")
        }
        #expect(lines.contains { $0.hasPrefix("tapedeck_recorder_writer_queue_depth ") })
        let health = try await harness.admin("/healthz")
        #expect(health.status == 200)
        #expect(health.text == "ok\n")
        #expect(try await harness.admin("/other").status == 404)
        #expect(try await harness.finish().count == 3)
    }
}
