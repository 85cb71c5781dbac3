import Dialects
import Replay
import Routing

/// The standard fault matrix: every standard fault applied to the primary deployment of every
/// recorded conversation that a model group with fallbacks can be asked.
public enum StandardMatrix {
    /// The standard faults, by scenario suffix. `stall` lasts `stallSeconds` (longer than the
    /// router's idle timeout, so a sound router fails over).
    public static func faults(stallSeconds: Int) -> [(name: String, spec: String)] {
        [
            ("http-429", "http_error:status=429"),
            ("http-500", "http_error:status=500"),
            ("http-503", "http_error:status=503"),
            ("reset-before-headers", "reset_before_headers"),
            ("early-overloaded-event", "error_event:kind=overloaded,after=0"),
            ("midstream-rate-limit-event", "error_event:kind=rate_limit,after=3"),
            ("midstream-overloaded-event", "error_event:kind=overloaded,after=3"),
            ("midstream-cut", "cut:after=3"),
            ("midstream-reset", "reset:after=3"),
            ("midstream-stall", "stall:after=3,seconds=\(stallSeconds)"),
            ("malformed-frame", "malformed:at=3"),
            ("missing-terminator", "drop_terminator"),
        ]
    }

    /// One scenario per (primary group, recorded conversation, standard fault), asked through the
    /// OpenAI Chat endpoint. Deployments that do not support assistant prefill are given the
    /// `rejects_prefill` capability, as the real models behave.
    public static func scenarios(library: RecordingLibrary, config: RouterConfig, stallSeconds: Int) -> [Scenario] {
        let rejecting = config.deployments.filter { $0.supportsAssistantPrefill == false }.map(\.model)
        let capabilities = Dictionary(uniqueKeysWithValues: Set(rejecting).map { ($0, ["rejects_prefill"]) })
        var scenarios: [Scenario] = []
        for group in config.groups where config.settings.fallbacks?.targets(for: group)?.isEmpty == false {
            guard let primary = config.deployments(in: group).first else { continue }
            var seen: [[ChatTurn]] = []
            for recording in library.recordings
            where ModelName.same(recording.view.model, primary.model) && recording.isSuccess && !seen.contains(recording.view.turns) {
                seen.append(recording.view.turns)
                let conversation = slug(recording.view.turns.last { $0.role == "user" }?.text ?? recording.id)
                for fault in faults(stallSeconds: stallSeconds) {
                    scenarios.append(Scenario(
                        name: "\(group)/\(conversation)/\(fault.name)",
                        request: chatRequest(model: group, turns: recording.view.turns),
                        faults: [primary.model: [fault.spec]],
                        capabilities: capabilities,
                        description: "\(fault.spec) on \(primary.model) (primary of \(group)), conversation from recording \(recording.id)"))
                }
            }
        }
        return scenarios
    }

    static func chatRequest(model: String, turns: [ChatTurn]) -> JSONValue {
        .object([
            "model": .string(model),
            "messages": .array(turns.filter { ["system", "user", "assistant"].contains($0.role) }.map {
                ["role": .string($0.role), "content": .string($0.text)]
            }),
        ])
    }

    /// The first words of a prompt, as a scenario name part.
    static func slug(_ text: String) -> String {
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }.prefix(4)
        return words.isEmpty ? "request" : words.joined(separator: "-")
    }
}
