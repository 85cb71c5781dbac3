import Faults

/// Why a scenario's faults or capabilities cannot be used.
public struct ScenarioFaultError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The replay server's fault book for one scenario: its faults per upstream model (one spec, or a
/// list applied attempt by attempt) and its capabilities.
public enum ScenarioFaults {
    public static func book(for scenario: Scenario, seed: UInt64) throws -> FaultBook {
        var rules: [String: FaultRule] = [:]
        for (model, specs) in scenario.faults {
            let faults: [any Fault]
            do {
                faults = try specs.map { try FaultCatalogue.parse($0) }
            } catch {
                throw ScenarioFaultError(description: "scenario `\(scenario.name)`, faults of \(model): \(error)")
            }
            rules[model] = faults.count == 1 ? .always(faults[0]) : .perAttempt(faults)
        }
        var capabilities: [String: ModelCapabilities] = [:]
        for (model, names) in scenario.capabilities {
            for name in names {
                guard let capability = ModelCapability(rawValue: name) else {
                    throw ScenarioFaultError(description: "scenario `\(scenario.name)`: unknown capability `\(name)` for \(model) (known: \(ModelCapability.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                capabilities[model, default: ModelCapabilities()].capabilities.insert(capability)
            }
        }
        return FaultBook(seed: seed, rules: rules, capabilities: capabilities)
    }
}
