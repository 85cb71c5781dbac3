import Dialects
import SSE
import Replay
import Routing

/// Why a scenario that names recordings cannot be built.
public struct RecordedScenarioError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Scenarios built from recordings: `interaction:` in scenario files, and `--incident`.
public enum RecordedScenarios {
    /// Fills a scenario's request from the recorded interaction it names: the recorded
    /// conversation, asked of the model group whose primary deployment is the recorded model
    /// (or the recorded model itself), with the scenario's own `request` fields on top.
    public static func resolve(_ scenario: Scenario, library: RecordingLibrary, config: RouterConfig?) throws -> Scenario {
        guard let id = scenario.interactionID else { return scenario }
        guard let recording = library.recordings.first(where: { $0.id == id }) else {
            throw RecordedScenarioError(description: "scenario `\(scenario.name)`: the cassette has no interaction \(id)")
        }
        var resolved = scenario
        var request = StandardMatrix.chatRequest(model: group(for: recording, config: config), turns: recording.view.turns)
        for (key, value) in scenario.request.objectValue ?? [:] { request[key] = value }
        resolved.request = request
        return resolved
    }

    /// One scenario replaying a recorded session (an incident: a primary failure and what came
    /// after) in both modes: each model fails the way it failed in the session, attempt by
    /// attempt, through the fault catalogue (so the non-stream run gets the same failure at the
    /// wire, even though only a stream was recorded), then answers.
    public static func incident(_ id: String, library: RecordingLibrary, config: RouterConfig?) throws -> Scenario {
        let session = library.recordings.filter { $0.interaction.sessionID == id }
            .sorted { $0.interaction.recordedAt < $1.interaction.recordedAt }
        guard let first = session.first else {
            let known = Set(library.recordings.compactMap(\.interaction.sessionID)).sorted()
            let hint = known.isEmpty ? "it records no sessions" : "sessions: " + known.joined(separator: ", ")
            throw RecordedScenarioError(description: "the cassette has no session \(id) (\(hint)).")
        }
        var faults: [String: [String]] = [:]
        for recording in session {
            let model = recording.view.model ?? recording.interaction.model ?? "unknown"
            faults[model, default: []].append(fault(reproducing: recording))
        }
        return Scenario(
            name: "incident-\(id)",
            request: StandardMatrix.chatRequest(model: group(for: first, config: config), turns: first.view.turns),
            faults: faults.mapValues { $0.last == "ok" ? $0 : $0 + ["ok"] },
            description: "recorded session \(id): " + session.map { "\($0.view.model ?? "?") \($0.interaction.ending.rawValue)" }.joined(separator: ", then "))
    }

    /// The fault spec that makes a clean answer fail as this recording did.
    static func fault(reproducing recording: Recording) -> String {
        let interaction = recording.interaction
        let codec = recording.dialect.codec
        let events = SSEParser.parse(interaction.content.bytes).compactMap { $0.isTerminated ? $0.event : nil }
        let content = events.filter { codec.classify(inBand: $0) == nil && !codec.isTerminator($0) }.count
        switch interaction.ending {
        case .complete, .clientAborted: return "ok"
        case .httpError: return "http_error:status=\(interaction.status ?? 500)"
        case .inBandError: return "error_event:kind=\((recording.outcome.error?.kind ?? .serverError).rawValue),after=\(content)"
        // Interrupted ones never reach a library; if built by hand, all that is known is that it stopped.
        case .truncated, .interrupted: return "cut:after=\(content)"
        case .reset: return "reset:after=\(content)"
        case .timeout: return "stall:after=\(content),seconds=30"
        }
    }

    static func group(for recording: Recording, config: RouterConfig?) -> String {
        let model = recording.view.model ?? recording.interaction.model ?? "unknown"
        guard let config else { return model }
        return config.groups.first { group in
            config.deployments(in: group).first.map { ModelName.same($0.model, model) } ?? false
        } ?? model
    }
}
