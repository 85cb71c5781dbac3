import Foundation
import Yams

/// A YAML node together with where it sits (file, dotted key path, line), so every value read
/// from it can fail with an error that names all three.
struct YAMLField {
    let node: Node
    /// Dotted path, e.g. `model_list[2].litellm_params.timeout`.
    let key: String
    let file: String

    var line: Int { node.mark?.line ?? 1 }

    /// True for an explicit YAML null (`~`, `null`, or nothing after the colon).
    var isNull: Bool {
        guard case .scalar(let scalar) = node else { return false }
        return (scalar.style == .plain || scalar.style == .any) && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func invalid(_ reason: String) -> RouterConfigError {
        .invalidValue(file: file, line: line, key: key, reason: reason)
    }

    /// The node's entries in file order; duplicate keys are an error.
    func mapping() throws -> [(name: String, field: YAMLField)] {
        guard case .mapping(let mapping) = node else { throw invalid("expected a mapping of keys to values, got \(shape)") }
        var seen = Set<String>()
        var entries: [(name: String, field: YAMLField)] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw RouterConfigError.invalidValue(
                    file: file, line: keyNode.mark?.line ?? line, key: key, reason: "keys must be plain strings")
            }
            let name = scalar.string
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard seen.insert(name).inserted else {
                throw RouterConfigError.invalidValue(
                    file: file, line: keyNode.mark?.line ?? line, key: path, reason: "the key appears twice in one mapping")
            }
            // A null value carries no mark of its own in some documents; point at its key instead.
            let valueNodeWithMark = valueNode.mark == nil ? Self.remark(valueNode, keyNode.mark) : valueNode
            entries.append((name, YAMLField(node: valueNodeWithMark, key: path, file: file)))
        }
        return entries
    }

    /// The node's items, each with an indexed path.
    func sequence() throws -> [YAMLField] {
        guard case .sequence(let sequence) = node else { throw invalid("expected a list, got \(shape)") }
        return sequence.enumerated().map { index, item in YAMLField(node: item, key: "\(key)[\(index)]", file: file) }
    }

    func string() throws -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw invalid("expected a string, got \(shape)") }
        return scalar.string
    }

    /// A non-empty string.
    func name() throws -> String {
        let value = try string().trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { throw invalid("must not be empty") }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar(let scalar) = node else { throw invalid("expected true or false, got \(shape)") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw invalid("expected true or false, got \"\(scalar.string)\"")
        }
    }

    /// A whole number at least `minimum`.
    func integer(minimum: Int) throws -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string.trimmingCharacters(in: .whitespaces)) else {
            throw invalid("expected a whole number, got \(shape)")
        }
        guard value >= minimum else { throw invalid("must be at least \(minimum), got \(value)") }
        return value
    }

    /// A duration in seconds (integer or decimal); zero only when `allowZero`.
    func seconds(allowZero: Bool) throws -> Duration {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string.trimmingCharacters(in: .whitespaces)),
            value.isFinite
        else {
            throw invalid("expected a number of seconds, got \(shape)")
        }
        guard value > 0 || (allowZero && value == 0) else {
            throw invalid(allowZero ? "must not be negative, got \(value)" : "must be a positive number of seconds, got \(value)")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    /// A list of names; a single name is accepted as a list of one.
    func names() throws -> [String] {
        if case .scalar = node, !isNull { return [try name()] }
        return try sequence().map { try $0.name() }
    }

    /// One of an enumeration's raw values.
    func choice<Choice: RawRepresentable & CaseIterable>(_ type: Choice.Type) throws -> Choice where Choice.RawValue == String {
        let raw = try string()
        guard let value = Choice(rawValue: raw) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw invalid("expected one of \(allowed), got \"\(raw)\"")
        }
        return value
    }

    /// What the node is, for messages.
    var shape: String {
        switch node {
        case .scalar(let scalar): return isNull ? "nothing" : "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    private static func remark(_ node: Node, _ mark: Mark?) -> Node {
        guard case .scalar(var scalar) = node else { return node }
        scalar.mark = mark
        return .scalar(scalar)
    }
}
