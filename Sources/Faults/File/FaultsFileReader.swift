import Yams

/// Walks a faults file's YAML node tree, keeping line numbers for every error.
struct FaultsFileReader {
    let file: String

    static let topKeys = ["seed", "default", "models"]
    static let modelKeys = ["schedule", "windows", "fault", "probability", "capabilities"]
    static let windowKeys = ["for", "fault"]

    func read(_ yaml: String) throws(FaultsFileError) -> FaultsFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw Self.describe(error, file: file)
        } catch {
            throw .invalidYAML(file: file, line: nil, reason: "\(error)")
        }
        guard let root else { return FaultsFile() }
        let top = try mapping(root, what: "the top level", allowed: Self.topKeys)
        var result = FaultsFile()
        if let seed = top["seed"] {
            guard let text = seed.scalar?.string, let value = UInt64(text) else {
                throw fail(seed, "'seed' must be a non-negative integer")
            }
            result.seed = value
        }
        if let entry = top["default"] {
            result.defaultRule = try modelFaults(entry, model: nil).rule
        }
        if let models = top["models"] {
            guard case .mapping(let pairs) = models else {
                throw fail(models, "'models' must map model names to their faults")
            }
            for (key, value) in pairs {
                guard let name = key.scalar?.string, !name.isEmpty else {
                    throw fail(key, "model names must be plain strings")
                }
                guard result.models[name] == nil else { throw fail(key, "model '\(name)' is listed twice") }
                result.models[name] = try modelFaults(value, model: name)
            }
        }
        return result
    }

    private func modelFaults(_ node: Node, model: String?) throws(FaultsFileError) -> ModelFaults {
        let what = model.map { "model '\($0)'" } ?? "'default'"
        let entry = try mapping(node, what: what, allowed: Self.modelKeys)
        let ruleKeys = ["schedule", "windows", "fault"].filter { entry[$0] != nil }
        guard ruleKeys.count <= 1 else {
            throw fail(node, "\(what): give only one of schedule, windows or fault (found \(ruleKeys.joined(separator: ", ")))")
        }
        var result = ModelFaults()
        if let schedule = entry["schedule"] {
            guard case .sequence(let items) = schedule, !items.isEmpty else {
                throw fail(schedule, "\(what): 'schedule' must be a non-empty list of fault specs, one per attempt")
            }
            var faults: [any Fault] = []
            for item in items { faults.append(try fault(item, what: what)) }
            result.rule = .perAttempt(faults)
        }
        if let windows = entry["windows"] {
            guard case .sequence(let items) = windows, !items.isEmpty else {
                throw fail(windows, "\(what): 'windows' must be a non-empty list of {for: SECONDS, fault: SPEC}")
            }
            var list: [FaultWindow] = []
            for item in items { list.append(try window(item, what: what)) }
            result.rule = .windows(list)
        }
        if let faultNode = entry["fault"] {
            let fault = try fault(faultNode, what: what)
            if let probabilityNode = entry["probability"] {
                guard let text = probabilityNode.scalar?.string, let probability = Double(text),
                      probability >= 0, probability <= 1
                else {
                    throw fail(probabilityNode, "\(what): 'probability' must be a number from 0 to 1")
                }
                result.rule = .probability(probability, fault)
            } else {
                result.rule = .always(fault)
            }
        } else if let probabilityNode = entry["probability"] {
            throw fail(probabilityNode, "\(what): 'probability' needs a 'fault' to apply")
        }
        if let capabilities = entry["capabilities"] {
            guard case .sequence(let items) = capabilities else {
                throw fail(capabilities, "\(what): 'capabilities' must be a list, e.g. [rejects_prefill]")
            }
            for item in items {
                guard let name = item.scalar?.string, let capability = ModelCapability(rawValue: name) else {
                    throw fail(item, "\(what): unknown capability '\(item.scalar?.string ?? "")'; known: "
                        + ModelCapability.knownNames)
                }
                result.capabilities.capabilities.insert(capability)
            }
        }
        return result
    }

    private func window(_ node: Node, what: String) throws(FaultsFileError) -> FaultWindow {
        let entry = try mapping(node, what: "\(what) window", allowed: Self.windowKeys)
        guard let forNode = entry["for"], let faultNode = entry["fault"] else {
            throw fail(node, "\(what): each window needs 'for' (seconds) and 'fault' (a spec)")
        }
        guard let text = forNode.scalar?.string, let micros = FaultParameters.readSeconds(text), micros > 0 else {
            throw fail(forNode, "\(what): window 'for' must be a positive number of seconds, e.g. 60 or 0.5")
        }
        return FaultWindow(duration: .microseconds(micros), fault: try fault(faultNode, what: what))
    }

    private func fault(_ node: Node, what: String) throws(FaultsFileError) -> any Fault {
        guard let text = node.scalar?.string else {
            throw fail(node, "\(what): a fault must be a spec string such as \"cut:after=40\" or ok")
        }
        do {
            return try FaultCatalogue.parse(text)
        } catch {
            throw fail(node, "\(what): \(error)")
        }
    }

    /// The node as a mapping of string keys, refusing keys outside `allowed` and duplicates.
    private func mapping(_ node: Node, what: String, allowed: [String]) throws(FaultsFileError) -> [String: Node] {
        guard case .mapping(let pairs) = node else {
            throw fail(node, "\(what) must be a mapping of \(allowed.joined(separator: ", "))")
        }
        var result: [String: Node] = [:]
        for (key, value) in pairs {
            guard let name = key.scalar?.string, allowed.contains(name) else {
                throw fail(key, "\(what): unknown key '\(key.scalar?.string ?? "?")'; expected "
                    + allowed.joined(separator: ", "))
            }
            guard result[name] == nil else { throw fail(key, "\(what): '\(name)' is given twice") }
            result[name] = value
        }
        return result
    }

    private func fail(_ node: Node, _ message: String) -> FaultsFileError {
        .invalid(file: file, line: node.mark?.line, message: message)
    }

    private static func describe(_ error: YamlError, file: String) -> FaultsFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return .invalidYAML(file: file, line: mark.line, reason: reason)
        case .reader(let problem, _, _, _):
            return .invalidYAML(file: file, line: nil, reason: problem)
        default:
            return .invalidYAML(file: file, line: nil, reason: "\(error)")
        }
    }
}
