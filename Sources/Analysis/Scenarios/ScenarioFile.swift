import Dialects
import Foundation
import Yams

/// Why a scenario file could not be used; each case reads as one sentence naming file and line.
public enum ScenarioFileError: Error, Sendable, CustomStringConvertible, Equatable {
    case unreadable(file: String)
    case invalidYAML(file: String, reason: String)
    case invalid(file: String, line: Int?, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file):
            return "\(file) cannot be read."
        case .invalidYAML(let file, let reason):
            return "\(file) is not valid YAML: \(reason)."
        case .invalid(let file, let line, let reason):
            return "\(file)\(line.map { ", line \($0)" } ?? ""): \(reason)."
        }
    }
}

/// Reads the scenario file format documented in the README:
/// `scenarios: [{name, request | interaction, endpoint, faults, capabilities, api_key, description}]`.
public enum ScenarioFile {
    public static func load(path: String) throws -> [Scenario] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioFileError.unreadable(file: path)
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> [Scenario] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ScenarioFileError.invalidYAML(file: file, reason: "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)")
        }
        let reader = YAMLReader(file: file)
        guard let root, let mapping = root.mapping else {
            throw ScenarioFileError.invalid(file: file, line: root?.mark?.line, reason: "expected a mapping with a `scenarios` list")
        }
        guard let list = mapping["scenarios"] else {
            throw ScenarioFileError.invalid(file: file, line: root.mark?.line, reason: "missing the `scenarios` list")
        }
        guard let items = list.sequence else {
            throw ScenarioFileError.invalid(file: file, line: list.mark?.line, reason: "`scenarios` must be a list")
        }
        var names = Set<String>()
        var scenarios: [Scenario] = []
        for item in items {
            let scenario = try reader.scenario(item)
            guard names.insert(scenario.name).inserted else {
                throw ScenarioFileError.invalid(file: file, line: item.mark?.line, reason: "scenario name `\(scenario.name)` is used twice")
            }
            scenarios.append(scenario)
        }
        return scenarios
    }
}

/// Turns YAML nodes into scenario values, naming the line of anything wrong.
struct YAMLReader {
    var file: String

    static let scenarioKeys: Set<String> = ["name", "request", "interaction", "endpoint", "faults", "capabilities", "api_key", "description"]

    func fail(_ node: Node?, _ reason: String) -> ScenarioFileError {
        .invalid(file: file, line: node?.mark?.line, reason: reason)
    }

    func scenario(_ node: Node) throws -> Scenario {
        guard let mapping = node.mapping else { throw fail(node, "each scenario must be a mapping") }
        for key in mapping.keys {
            guard let name = key.string, Self.scenarioKeys.contains(name) else {
                throw fail(key, "unknown scenario key `\(key.string ?? "?")` (expected one of: \(Self.scenarioKeys.sorted().joined(separator: ", ")))")
            }
        }
        guard let name = mapping["name"]?.string, !name.isEmpty else { throw fail(node, "every scenario needs a `name`") }
        let interaction = mapping["interaction"]?.string
        guard let requestNode = mapping["request"] ?? (interaction != nil ? Node("{}") : nil) else {
            throw fail(node, "scenario `\(name)` needs a `request` or an `interaction`")
        }
        let request = try json(requestNode)
        guard case .object(var body) = request else { throw fail(requestNode, "scenario `\(name)`: `request` must be a mapping") }
        guard interaction != nil || body["model"]?.stringValue != nil else {
            throw fail(requestNode, "scenario `\(name)`: `request.model` is required")
        }
        body["stream"] = nil
        let endpoint = mapping["endpoint"]?.string ?? "/v1/chat/completions"
        guard ["/v1/chat/completions", "/v1/responses", "/v1/messages"].contains(endpoint) else {
            throw fail(mapping["endpoint"], "scenario `\(name)`: endpoint must be /v1/chat/completions, /v1/responses or /v1/messages, not \(endpoint)")
        }
        return Scenario(
            name: name, endpoint: endpoint, request: .object(body),
            faults: try specLists(mapping["faults"], what: "faults", scenario: name),
            capabilities: try specLists(mapping["capabilities"], what: "capabilities", scenario: name),
            apiKey: mapping["api_key"]?.string, description: mapping["description"]?.string, interactionID: interaction)
    }

    /// `{model: "spec"}` or `{model: ["spec", "spec"]}`.
    func specLists(_ node: Node?, what: String, scenario: String) throws -> [String: [String]] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else { throw fail(node, "scenario `\(scenario)`: `\(what)` must map upstream models to specs") }
        var result: [String: [String]] = [:]
        for (key, value) in mapping {
            guard let model = key.string else { throw fail(key, "scenario `\(scenario)`: `\(what)` keys must be model names") }
            if let single = value.string {
                result[model] = [single]
            } else if let list = value.sequence, list.allSatisfy({ $0.string != nil }) {
                result[model] = list.compactMap(\.string)
            } else {
                throw fail(value, "scenario `\(scenario)`: `\(what).\(model)` must be a string or a list of strings")
            }
        }
        return result
    }

    /// A YAML node as JSON, with YAML's core-schema scalar types.
    func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .singleQuoted || scalar.style == .doubleQuoted { return .string(scalar.string) }
            switch node.tag {
            case Tag(.null): return .null
            case Tag(.bool): return .bool(node.bool ?? false)
            case Tag(.int): return node.int.map(JSONValue.int) ?? .string(scalar.string)
            case Tag(.float): return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw fail(key, "mapping keys must be strings") }
                object[name] = try json(value)
            }
            return .object(object)
        }
    }
}
