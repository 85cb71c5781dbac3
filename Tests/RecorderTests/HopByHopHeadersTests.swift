import NIOHTTP1
import Recorder
import Testing

@Suite("Hop-by-hop headers")
struct HopByHopHeadersTests {
    @Test("connection-specific headers and those Connection names are dropped, the rest kept in order")
    func removal() {
        let headers = HTTPHeaders([
            ("Content-Type", "text/event-stream"), ("Connection", "keep-alive, X-Trace"), ("Transfer-Encoding", "chunked"),
            ("x-request-id", "req_1"), ("X-Trace", "abc"), ("Keep-Alive", "timeout=5"), ("retry-after", "3"),
        ])
        let kept = HopByHopHeaders.removing(from: headers)
        #expect(kept.map(\.name) == ["Content-Type", "x-request-id", "retry-after"])
        #expect(kept.map(\.value) == ["text/event-stream", "req_1", "3"])
    }
}
