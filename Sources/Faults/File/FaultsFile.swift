import Foundation
import Yams

/// A faults file (YAML, see docs/faults.md): a seed, per-model fault rules and capabilities,
/// and an optional default rule for models not listed.
public struct FaultsFile: Sendable {
    /// The seed for probability rules; `--seed` wins over it.
    public var seed: UInt64?
    /// The rule for models the file does not list.
    public var defaultRule: FaultRule?
    /// Rules and capabilities per upstream model.
    public var models: [String: ModelFaults]

    public init(seed: UInt64? = nil, defaultRule: FaultRule? = nil, models: [String: ModelFaults] = [:]) {
        self.seed = seed
        self.defaultRule = defaultRule
        self.models = models
    }

    /// Reads and parses a faults file.
    public static func load(path: String) throws(FaultsFileError) -> FaultsFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(file: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(file: path, reason: "it is not UTF-8 text")
        }
        return try FaultsFile(yaml: text, file: path)
    }

    /// Parses faults-file YAML; `file` names the source in error messages.
    public init(yaml: String, file: String) throws(FaultsFileError) {
        self = try FaultsFileReader(file: file).read(yaml)
    }

    /// The fault book for a replay: `seed` (from `--seed`) wins over the file's, `fixed` are
    /// `--fault` flags, `extraCapabilities` come from `--capability` flags.
    public func book(
        seed override: UInt64? = nil, fixed: [ScopedFault] = [],
        extraCapabilities: [(model: String, capability: ModelCapability)] = []
    ) -> FaultBook {
        var capabilities = models.compactMapValues { $0.capabilities.capabilities.isEmpty ? nil : $0.capabilities }
        for (model, capability) in extraCapabilities {
            capabilities[model, default: ModelCapabilities()].capabilities.insert(capability)
        }
        return FaultBook(
            seed: override ?? seed ?? 0,
            rules: models.compactMapValues(\.rule),
            defaultRule: defaultRule,
            fixed: fixed,
            capabilities: capabilities)
    }
}

/// One model's entry in a faults file.
public struct ModelFaults: Sendable {
    /// Nil when the entry only lists capabilities: the model is healthy.
    public var rule: FaultRule?
    public var capabilities: ModelCapabilities

    public init(rule: FaultRule? = nil, capabilities: ModelCapabilities = ModelCapabilities()) {
        self.rule = rule
        self.capabilities = capabilities
    }
}
