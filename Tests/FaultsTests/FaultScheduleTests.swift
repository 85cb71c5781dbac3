import Faults
import Testing

private func specs(_ schedule: inout FaultSchedule, count: Int, at elapsed: Duration = .zero) -> [String] {
    (0..<count).map { _ in schedule.next(at: elapsed).description }
}

private func parse(_ specs: String...) throws -> [any Fault] {
    try specs.map { try FaultCatalogue.parse($0) }
}

@Suite("Fault schedules")
struct FaultScheduleTests {
    @Test("a per-attempt list is followed in order and its last entry repeats")
    func perAttempt() throws {
        var schedule = FaultSchedule(rule: .perAttempt(try parse("cut:after=40", "ok")), seed: 0)
        #expect(specs(&schedule, count: 4) == ["cut:after=40", "ok", "ok", "ok"])
        var failing = FaultSchedule(rule: .perAttempt(try parse("ok", "http_error:status=503")), seed: 0)
        #expect(specs(&failing, count: 4) == ["ok", "http_error:status=503", "http_error:status=503", "http_error:status=503"])
        #expect(failing.attempts == 4)
    }

    @Test("an empty per-attempt list is healthy")
    func emptyList() {
        var schedule = FaultSchedule(rule: .perAttempt([]), seed: 0)
        #expect(specs(&schedule, count: 2) == ["ok", "ok"])
    }

    @Test("time windows follow the injected elapsed time and end healthy", arguments: [
        (Duration.zero, "http_error:status=503"),
        (.milliseconds(59_999), "http_error:status=503"),
        (.seconds(60), "cut:after=2"),
        (.seconds(89), "cut:after=2"),
        (.seconds(90), "ok"),
        (.seconds(100_000), "ok"),
    ])
    func windows(elapsed: Duration, expected: String) throws {
        let windows = [
            FaultWindow(duration: .seconds(60), fault: try FaultCatalogue.parse("http_error:status=503")),
            FaultWindow(duration: .seconds(30), fault: try FaultCatalogue.parse("cut:after=2")),
        ]
        var schedule = FaultSchedule(rule: .windows(windows), seed: 0)
        #expect(schedule.next(at: elapsed).description == expected)
    }

    @Test("windows depend on time only, not on how many attempts came before")
    func windowsIgnoreAttempts() throws {
        var schedule = FaultSchedule(
            rule: .windows([FaultWindow(duration: .seconds(60), fault: try FaultCatalogue.parse("reset_before_headers"))]),
            seed: 0)
        #expect(specs(&schedule, count: 5, at: .seconds(10)) == Array(repeating: "reset_before_headers", count: 5))
        #expect(schedule.next(at: .seconds(61)).description == "ok")
        #expect(schedule.next(at: .seconds(1)).description == "reset_before_headers")
    }

    @Test("a seeded probability gives the same faults for the same seed")
    func probabilitySameSeed() throws {
        let rule = FaultRule.probability(0.3, try FaultCatalogue.parse("reset:after=5"))
        var first = FaultSchedule(rule: rule, seed: 7)
        var second = FaultSchedule(rule: rule, seed: 7)
        let sequence = specs(&first, count: 200)
        #expect(sequence == specs(&second, count: 200))
        let hits = sequence.filter { $0 == "reset:after=5" }.count
        #expect((40...80).contains(hits), "\(hits) of 200 at probability 0.3")
        #expect(Set(sequence) == ["reset:after=5", "ok"])
    }

    @Test("another seed gives other faults")
    func probabilityOtherSeed() throws {
        let rule = FaultRule.probability(0.3, try FaultCatalogue.parse("reset:after=5"))
        var seven = FaultSchedule(rule: rule, seed: 7)
        var eight = FaultSchedule(rule: rule, seed: 8)
        #expect(specs(&seven, count: 64) != specs(&eight, count: 64))
    }

    @Test("probability 0 never faults and 1 always does")
    func probabilityBounds() throws {
        let fault = try FaultCatalogue.parse("cut:after=1")
        var never = FaultSchedule(rule: .probability(0, fault), seed: 1)
        var always = FaultSchedule(rule: .probability(1, fault), seed: 1)
        #expect(Set(specs(&never, count: 50)) == ["ok"])
        #expect(Set(specs(&always, count: 50)) == ["cut:after=1"])
    }

    @Test("reset starts the attempts and the draws over")
    func resetReplays() throws {
        var schedule = FaultSchedule(rule: .probability(0.5, try FaultCatalogue.parse("cut:after=1")), seed: 42)
        let first = specs(&schedule, count: 20)
        schedule.reset()
        #expect(schedule.attempts == 0)
        #expect(specs(&schedule, count: 20) == first)
    }

    @Test("SplitMix64 gives the reference sequence")
    func splitMixReference() {
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
    }
}
