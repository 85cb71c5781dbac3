import Cassettes
import NIOConcurrencyHelpers
import NIOCore
import Recorder
import Testing

@Suite("Backpressure")
struct BackpressureTests {
    @Test("a client that reads nothing holds the upstream back: the recorder does not read ahead beyond bounded buffers")
    func slowClient() async throws {
        let total = 256 << 20
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
        let sent = NIOLockedValueBox(0)
        let harness = try await RecorderHarness(configure: { $0.maxCapturedBytes = 1 << 20 }) { _, responder in
            try await responder.head(.ok, [("content-type", "application/octet-stream"), ("content-length", "\(total)")])
            var remaining = total
            while remaining > 0 {
                try await responder.send(chunk)
                remaining -= chunk.count
                sent.withLockedValue { $0 = total - remaining }
            }
            try await responder.end()
        }
        defer { harness.remove() }
        let connection = try await harness.connect(autoRead: false)
        try await connection.send(.POST, "/v1/files", body: Array("{}".utf8))

        // Wait until the upstream makes no progress for half a second (it is blocked), or 15 s.
        var last = -1
        var steady = 0
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(15)
        while steady < 5 && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let now = sent.withLockedValue { $0 }
            steady = now == last ? steady + 1 : 0
            last = now
        }
        let blockedAt = sent.withLockedValue { $0 }
        // Loopback socket buffers may hold tens of MiB here (tcp_rmem up to 32 MiB); the recorder
        // itself may add only a few small buffers, so the upstream stops far short of the end.
        #expect(blockedAt < total / 2, "the upstream pushed \(blockedAt) bytes to a client that read none")
        #expect(blockedAt > 0)

        try await connection.channel.setOption(.autoRead, value: true).get()
        connection.read()
        let response = await connection.response()
        #expect(response.status == 200)
        #expect(response.ended)
        #expect(response.body.count == total)
        await connection.close()
        let recorded = try await harness.finish()
        let interaction = try #require(recorded.first)
        #expect(interaction.ending == .complete)
        #expect(interaction.tags.contains("capture_limit"))
        #expect(interaction.content.byteCount <= 1 << 20)
    }
}
