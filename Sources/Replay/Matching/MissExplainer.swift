import Cassettes
import Dialects

/// Explains a miss: the nearest recording and the fields in which the request differs from it.
enum MissExplainer {
    static func explain(_ request: IncomingRequest, library: RecordingLibrary) -> String {
        let model = request.view.model ?? "no model"
        let head = "no recording answers \(request.endpoint) for model \(model)"
        guard let nearest = library.recordings.max(by: { score($0, request) < score($1, request) }) else {
            return head + "; the cassette holds no replayable interaction."
        }
        let differences = fieldsThatDiffer(request, nearest)
        let what = differences.isEmpty ? "only in fields the matcher ignores" : "in " + differences.joined(separator: ", ")
        return head + "; the nearest is interaction \(nearest.id) (\(nearest.endpoint), model \(nearest.view.model ?? "none")), which differs \(what)."
    }

    private static func score(_ recording: Recording, _ request: IncomingRequest) -> Int {
        var score = 0
        if recording.endpoint == request.endpoint { score += 4 }
        if ModelName.same(recording.view.model, request.view.model) { score += 4 }
        let common = zip(recording.view.turns, request.view.turns).prefix { $0.role == $1.role && $0.text == $1.text }.count
        return score + min(common, 3)
    }

    private static func fieldsThatDiffer(_ request: IncomingRequest, _ recording: Recording) -> [String] {
        var fields: [String] = []
        if recording.endpoint != request.endpoint { fields.append("endpoint (\(request.endpoint) vs \(recording.endpoint))") }
        if !ModelName.same(recording.view.model, request.view.model) {
            fields.append("model (\(request.view.model ?? "none") vs \(recording.view.model ?? "none"))")
        }
        let recorded = recording.view.turns
        let asked = request.view.turns
        if let index = zip(recorded, asked).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            let field = recorded[index].role != asked[index].role ? "role" : "text"
            fields.append("turn \(index) \(field)")
        } else if recorded.count > asked.count {
            fields.append("turns (the request has \(asked.count), the recording \(recorded.count))")
        }
        return fields
    }
}
