import Dialects
import Faults
import Replay
import Testing

@Suite("Checking wire plans before they reach the wire")
struct WirePlanProblemTests {
    static let head = WirePlan.Step.head(status: 200, headers: [HTTPField("content-type", "text/event-stream")])

    static func lengthHead(_ length: String) -> WirePlan.Step {
        .head(status: 200, headers: [HTTPField("Content-Length", length)])
    }

    @Test("plans the fault table needs have no problem", arguments: [
        // A finished stream, a cut stream, a reset before headers, a stall, no response at all.
        [head, .write([1]), .pause(microseconds: 5), .write([2]), .finish],
        [head, .write([1]), .close],
        [.reset],
        [head, .write([1]), .hang],
        [.pause(microseconds: 30_000_000), .hang],
        [.pause(microseconds: 10), head, .finish],
        // A content-length body cut short by close, reset or hang is how a truncated body is planned.
        [lengthHead("10"), .write([1, 2, 3]), .close],
        [lengthHead("10"), .write([1, 2, 3]), .reset],
        [lengthHead("10"), .write([1, 2, 3]), .hang],
        [lengthHead(" 3 "), .write([1, 2, 3]), .finish],
        [.head(status: 204, headers: []), .finish],
    ] as [[WirePlan.Step]])
    func acceptsWellFormedPlans(steps: [WirePlan.Step]) {
        #expect(WirePlan(steps: steps).problem == nil)
    }

    @Test("each malformed plan is named by its first problem", arguments: [
        ([], .missingEnding),
        ([head, .write([1])], .missingEnding),
        ([head, .finish, .write([1])], .stepAfterEnding(step: 2)),
        ([.reset, .close], .stepAfterEnding(step: 1)),
        ([.write([1]), head, .finish], .bodyBeforeHead(step: 0)),
        ([.pause(microseconds: 1), .finish], .finishBeforeHead(step: 1)),
        ([head, head, .finish], .secondHead(step: 1)),
        ([head, .pause(microseconds: -1), .finish], .negativePause(step: 1)),
        ([.head(status: 101, headers: []), .finish], .unsupportedStatus(101)),
        ([.head(status: 600, headers: []), .finish], .unsupportedStatus(600)),
        ([.head(status: 304, headers: []), .write([1]), .finish], .bodyNotAllowed(status: 304)),
        ([.head(status: 200, headers: [HTTPField("x-bad", "a\r\nb")]), .finish], .invalidHeader(name: "x-bad")),
        ([.head(status: 200, headers: [HTTPField("bad name", "a")]), .finish], .invalidHeader(name: "bad name")),
        ([lengthHead("ten"), .finish], .invalidContentLength("ten")),
        ([lengthHead("-1"), .finish], .invalidContentLength("-1")),
        (
            [.head(status: 200, headers: [HTTPField("content-length", "1"), HTTPField("content-length", "2")]), .finish],
            .invalidContentLength("1, 2")
        ),
        ([lengthHead("2"), .write([1, 2, 3]), .close], .bodyExceedsContentLength(declared: 2, planned: 3)),
        ([lengthHead("5"), .write([1, 2, 3]), .finish], .finishShortOfContentLength(declared: 5, planned: 3)),
    ] as [([WirePlan.Step], WirePlanProblem)])
    func namesTheFirstProblem(steps: [WirePlan.Step], expected: WirePlanProblem) {
        #expect(WirePlan(steps: steps).problem == expected)
    }

    @Test("a problem reads as one sentence that names the step")
    func problemsReadAsSentences() {
        let problem = WirePlan(steps: [.write([1]), .finish]).problem
        #expect(problem?.description == "wire plan step 0 writes body bytes before any head")
    }
}
