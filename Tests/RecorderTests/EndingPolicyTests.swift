import Dialects
import Recorder
import Testing

@Suite("Ending policy")
struct EndingPolicyTests {
    typealias Observation = EndingPolicy.Observation

    static let cases: [(Observation, Ending)] = [
        (.init(status: 200, isEventStream: true, sawTerminator: true, termination: .finished), .complete),
        (.init(status: 200, isEventStream: true, sawTerminator: false, termination: .finished), .truncated),
        (.init(status: 200, isEventStream: true, sawTerminator: nil, termination: .finished), .complete),
        (.init(status: 200, isEventStream: false, termination: .finished), .complete),
        (.init(status: 200, isEventStream: true, sawTerminator: false, termination: .closedEarly), .truncated),
        (.init(status: 200, isEventStream: true, sawTerminator: true, termination: .closedEarly), .complete),
        (.init(status: 200, isEventStream: false, termination: .closedEarly), .truncated),
        (.init(status: nil, termination: .closedEarly), .truncated),
        (.init(status: 429, termination: .finished), .httpError),
        (.init(status: 503, termination: .reset), .httpError),
        (.init(status: 200, sawInBandError: true, isEventStream: true, sawTerminator: true, termination: .finished), .inBandError),
        (.init(status: 200, sawInBandError: true, isEventStream: true, sawTerminator: false, termination: .closedEarly), .inBandError),
        (.init(status: 200, sawInBandError: true, isEventStream: true, termination: .clientAborted), .inBandError),
        (.init(status: 200, isEventStream: true, sawTerminator: false, termination: .reset), .reset),
        (.init(status: nil, termination: .reset), .reset),
        (.init(status: nil, termination: .connectFailed), .reset),
        (.init(status: nil, termination: .timeout), .timeout),
        (.init(status: 200, isEventStream: true, sawTerminator: false, termination: .timeout), .timeout),
        (.init(status: 200, isEventStream: true, sawTerminator: false, termination: .clientAborted), .clientAborted),
        (.init(status: nil, termination: .clientAborted), .clientAborted),
        (.init(status: 200, isEventStream: true, sawTerminator: false, termination: .shutdown), .clientAborted),
    ]

    @Test("every combination of status, events and termination maps to one ending", arguments: cases)
    func mapping(observation: Observation, expected: Ending) {
        #expect(EndingPolicy.ending(for: observation) == expected)
    }
}
