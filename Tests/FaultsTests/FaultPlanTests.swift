import Dialects
import Faults
import Testing

/// One fault spec applied to one sample response, and the exact plan expected.
struct PlanCase: Sendable, CustomTestStringConvertible {
    var spec: String
    var stream: Bool
    var steps: [WirePlan.Step]

    var testDescription: String { "\(spec) (\(stream ? "stream" : "non-stream"))" }
}

private typealias S = Sample

private let streamCases: [PlanCase] = [
    PlanCase(spec: "ok", stream: true, steps: [
        S.streamHead, S.pause(1_000), S.write(0), S.pause(500), S.write(1), S.pause(500), S.write(2),
        S.pause(2_000), S.write(3), S.pause(1_000), S.write(4), .finish,
    ]),
    PlanCase(spec: "http_error:status=429,retry_after=2", stream: true,
             steps: S.errorSteps(status: 429, kind: .rateLimit, retryAfter: 2)),
    PlanCase(spec: "http_error:status=503", stream: true, steps: S.errorSteps(status: 503, kind: .overloaded)),
    PlanCase(spec: "reset_before_headers", stream: true, steps: [.reset]),
    PlanCase(spec: "no_response:seconds=30", stream: true, steps: [S.pause(30_000_000), .close]),
    PlanCase(spec: "slow_first_byte:seconds=0.5", stream: true, steps: [
        S.streamHead, S.pause(501_000), S.write(0), S.pause(500), S.write(1), S.pause(500), S.write(2),
        S.pause(2_000), S.write(3), S.pause(1_000), S.write(4), .finish,
    ]),
    PlanCase(spec: "error_event:kind=overloaded,after=2", stream: true, steps: [
        S.streamHead, S.pause(1_000), S.write(0), S.pause(500), S.write(1), S.pause(500), S.write(2),
        .write(S.errorEventBytes(.overloaded)), .finish,
    ]),
    PlanCase(spec: "error_event:kind=rate_limit,after=0", stream: true, steps: [
        S.streamHead, .write(S.errorEventBytes(.rateLimit)), .finish,
    ]),
    PlanCase(spec: "cut:after=1", stream: true, steps: [S.streamHead, S.pause(1_000), S.write(0), .close]),
    PlanCase(spec: "cut:after=0", stream: true, steps: [S.streamHead, .close]),
    PlanCase(spec: "cut:after=99", stream: true, steps: [
        S.streamHead, S.pause(1_000), S.write(0), S.pause(500), S.write(1), S.pause(500), S.write(2),
        S.pause(2_000), S.write(3), .close,
    ]),
    PlanCase(spec: "reset:after=2", stream: true, steps: [
        S.streamHead, S.pause(1_000), S.write(0), S.pause(500), S.write(1), S.pause(500), S.write(2), .reset,
    ]),
    PlanCase(spec: "stall:after=1,seconds=30", stream: true, steps: [
        S.streamHead, S.pause(1_000), S.write(0), S.pause(30_000_500), S.write(1), S.pause(500), S.write(2),
        S.pause(2_000), S.write(3), S.pause(1_000), S.write(4), .finish,
    ]),
    PlanCase(spec: "malformed:at=1", stream: true, steps: [
        S.streamHead, S.pause(1_000), S.write(0), S.pause(500), S.write(1), S.pause(500),
        S.write("data: {\"n\n\n"), S.pause(2_000), S.write(3), S.pause(1_000), S.write(4), .finish,
    ]),
    PlanCase(spec: "malformed:at=7", stream: true, steps: [
        S.streamHead, S.pause(1_000), S.write(0), S.pause(500), S.write(1), S.pause(500), S.write(2),
        S.pause(2_000), S.write("data: {\"n\n\n"), S.pause(1_000), S.write(4), .finish,
    ]),
    PlanCase(spec: "drop_terminator", stream: true, steps: [
        S.streamHead, S.pause(1_000), S.write(0), S.pause(500), S.write(1), S.pause(500), S.write(2),
        S.pause(2_000), S.write(3), .finish,
    ]),
    PlanCase(spec: "slow_drip:ms=200", stream: true, steps: [
        S.streamHead, S.pause(200_000), S.write(0), S.pause(200_000), S.write(1), S.pause(200_000), S.write(2),
        S.pause(200_000), S.write(3), S.pause(200_000), S.write(4), .finish,
    ]),
]

private let okBody: [WirePlan.Step] = [S.pause(3_000), S.bodyHead(length: 22), .write(S.bodyBytes), .finish]

private let bodyCases: [PlanCase] = [
    PlanCase(spec: "ok", stream: false, steps: okBody),
    PlanCase(spec: "http_error:status=429,retry_after=2", stream: false,
             steps: S.errorSteps(status: 429, kind: .rateLimit, retryAfter: 2)),
    PlanCase(spec: "http_error:status=500", stream: false, steps: S.errorSteps(status: 500, kind: .serverError)),
    PlanCase(spec: "reset_before_headers", stream: false, steps: [.reset]),
    PlanCase(spec: "no_response:seconds=30", stream: false, steps: [S.pause(30_000_000), .close]),
    PlanCase(spec: "slow_first_byte:seconds=1", stream: false, steps: [
        S.pause(3_000), S.bodyHead(length: 22), S.pause(1_000_000), .write(S.bodyBytes), .finish,
    ]),
    PlanCase(spec: "error_event:kind=overloaded,after=2", stream: false, steps: S.errorSteps(status: 529, kind: .overloaded)),
    PlanCase(spec: "error_event:kind=rate_limit,after=2", stream: false, steps: S.errorSteps(status: 429, kind: .rateLimit)),
    PlanCase(spec: "cut:after=5", stream: false, steps: [
        S.pause(3_000), S.bodyHead(length: 22), S.write(#"{"text":"he"#), .close,
    ]),
    PlanCase(spec: "reset:after=5", stream: false, steps: [
        S.pause(3_000), S.bodyHead(length: 22), S.write(#"{"text":"he"#), .reset,
    ]),
    PlanCase(spec: "stall:after=1,seconds=30", stream: false, steps: [
        S.pause(30_003_000), S.bodyHead(length: 22), .write(S.bodyBytes), .finish,
    ]),
    PlanCase(spec: "malformed:at=3", stream: false, steps: [
        S.pause(3_000), S.bodyHead(length: 11), S.write(#"{"text":"he"#), .finish,
    ]),
    PlanCase(spec: "drop_terminator", stream: false, steps: okBody),
    PlanCase(spec: "slow_drip:ms=200", stream: false, steps: okBody),
]

@Suite("Fault plans")
struct FaultPlanTests {
    @Test("every fault kind gives the exact wire plan in stream mode", arguments: streamCases)
    func streamPlan(_ testCase: PlanCase) throws {
        let fault = try FaultCatalogue.parse(testCase.spec)
        #expect(fault.plan(for: Sample.stream, in: Sample.context).steps == testCase.steps)
    }

    @Test("every fault kind gives the exact wire plan in non-stream mode", arguments: bodyCases)
    func bodyPlan(_ testCase: PlanCase) throws {
        let fault = try FaultCatalogue.parse(testCase.spec)
        #expect(fault.plan(for: Sample.body, in: Sample.context).steps == testCase.steps)
    }

    @Test("the plan tables cover every registered kind in both modes")
    func tablesCoverCatalogue() throws {
        for (name, cases) in [("stream", streamCases), ("non-stream", bodyCases)] {
            let covered = try Set(cases.map { try FaultCatalogue.parse($0.spec).kind })
            for kind in FaultCatalogue.kindNames {
                #expect(covered.contains(kind), "no \(name) plan case for \(kind)")
            }
        }
    }

    @Test("a recorded truncation or reset is replayed the same way by ok")
    func recordedEndIsReplayed() throws {
        for end in StreamEnd.allCases {
            let stream = CleanResponse.stream(headers: [], frames: [Sample.frames[0]], end: end)
            let steps = NoFault().plan(for: stream, in: Sample.context).steps
            let expectedEnd: WirePlan.Step = switch end {
            case .finish: .finish
            case .close: .close
            case .reset: .reset
            case .hang: .hang
            }
            #expect(steps == [.head(status: 200, headers: []), Sample.pause(1_000), Sample.write(0), expectedEnd])
        }
    }

    @Test("keep-alives and split blocks do not count as content for after")
    func afterCountsContentEventsOnly() throws {
        // The second event arrives in two frames; only the frame completing it counts.
        let texts = [": ping\n\n", "data: {\"a\":1}\n\n", "data: {\"a\"", ":2}\n\n", ": ping\n\n", "data: [DONE]\n\n"]
        let frames = texts.map { Frame(offsetMicros: 0, bytes: Array($0.utf8)) }
        let stream = CleanResponse.stream(headers: [], frames: frames)
        let steps = CutFault(after: 2).plan(for: stream, in: FaultContext(codec: FakeCodec(), pacing: .none)).steps
        let written = steps.compactMap { step -> String? in
            if case .write(let bytes) = step { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
        #expect(written == Array(texts.prefix(4)))
        #expect(steps.last == .close)
    }

    @Test("a dropped terminator's gap is kept by the frame after it")
    func droppedTerminatorKeepsLaterTimes() throws {
        let frames = [
            Frame(offsetMicros: 100, bytes: Array("data: [DONE]\n\n".utf8)),
            Frame(offsetMicros: 300, bytes: Array(": trailing\n\n".utf8)),
        ]
        let stream = CleanResponse.stream(headers: [], frames: frames)
        let steps = DropTerminatorFault().plan(for: stream, in: Sample.context).steps
        #expect(steps == [.head(status: 200, headers: []), Sample.pause(300), .write(frames[1].bytes), .finish])
    }

    @Test("an error status maps to the taxonomy kind that shapes its body", arguments: [
        (400, ErrorKind.badRequest), (401, .auth), (403, .auth), (404, .notFound), (408, .timeout),
        (413, .contextWindow), (422, .badRequest), (429, .rateLimit), (500, .serverError), (502, .serverError),
        (503, .overloaded), (504, .timeout), (529, .overloaded), (599, .serverError),
    ])
    func statusKinds(status: Int, kind: ErrorKind) {
        #expect(HTTPErrorFault.errorKind(forStatus: status) == kind)
    }
}
