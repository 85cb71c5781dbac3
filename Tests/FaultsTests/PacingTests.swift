import Dialects
import Faults
import Testing

@Suite("Pacing")
struct PacingTests {
    private func pauses(_ plan: WirePlan) -> [Int64] {
        plan.steps.compactMap { if case .pause(let micros) = $0 { return micros } else { return nil } }
    }

    private func stream(offsets: [Int64]) -> CleanResponse {
        .stream(headers: [], frames: offsets.map { Frame(offsetMicros: $0, bytes: Array("data: {}\n\n".utf8)) })
    }

    @Test("recorded gaps are divided by the speed")
    func speedDividesGaps() {
        let context = FaultContext(codec: FakeCodec(), pacing: .recorded(speed: 10))
        #expect(pauses(NoFault().plan(for: stream(offsets: [1_000, 5_000, 25_000]), in: context)) == [100, 400, 2_000])
    }

    @Test("speed max sends without any pause")
    func maxHasNoPauses() throws {
        let context = FaultContext(codec: FakeCodec(), pacing: try Pacing(speed: "max"))
        #expect(pauses(NoFault().plan(for: stream(offsets: [1_000, 5_000]), in: context)).isEmpty)
        #expect(pauses(NoFault().plan(for: Sample.body, in: context)).isEmpty)
    }

    @Test("rounding never accumulates: pauses add up to the scaled last offset")
    func noDrift() {
        let offsets: [Int64] = (1...1_000).map { Int64($0) * 3 }
        let context = FaultContext(codec: FakeCodec(), pacing: .recorded(speed: 2))
        let total = pauses(NoFault().plan(for: stream(offsets: offsets), in: context)).reduce(0, +)
        #expect(total == Pacing.recorded(speed: 2).scaled(3_000))
        #expect(total == 1_500)
    }

    @Test("an offset earlier than the previous one gives no pause, never a negative one")
    func outOfOrderOffsets() {
        #expect(pauses(NoFault().plan(for: stream(offsets: [100, 50, 200]), in: Sample.context)) == [100, 100])
    }

    @Test("a non-stream body waits for its scaled recorded time")
    func bodyOffsetScaled() {
        let context = FaultContext(codec: FakeCodec(), pacing: .recorded(speed: 3))
        #expect(pauses(NoFault().plan(for: Sample.body, in: context)) == [1_000])
    }

    @Test("fault durations are wall time, not scaled by the speed")
    func faultTimeNotScaled() throws {
        let context = FaultContext(codec: FakeCodec(), pacing: .recorded(speed: 100))
        let plan = try FaultCatalogue.parse("stall:after=0,seconds=2").plan(for: Sample.stream, in: context)
        // 2 s of stall, then the recorded gaps divided by 100.
        #expect(pauses(plan) == [2_000_010, 5, 5, 20, 10])
    }

    @Test("speed values read from the command line", arguments: [
        ("max", Pacing.none), ("1", .recorded(speed: 1)), ("10", .recorded(speed: 10)), ("0.5", .recorded(speed: 0.5)),
    ])
    func parsesSpeed(text: String, pacing: Pacing) throws {
        #expect(try Pacing(speed: text) == pacing)
    }

    @Test("invalid speeds are refused with one sentence", arguments: ["0", "-2", "fast", "", "inf", "nan"])
    func refusesSpeed(text: String) {
        #expect(throws: PacingError.invalidSpeed(text)) { try Pacing(speed: text) }
        #expect(PacingError.invalidSpeed(text).description == "speed '\(text)' must be a positive number (1 is real time) or 'max'")
    }
}
