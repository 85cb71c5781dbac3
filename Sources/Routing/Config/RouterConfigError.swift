/// Why a router configuration could not be loaded; every case names the file and, where the
/// YAML has one, the line and the key at fault.
public enum RouterConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case syntax(file: String, line: Int, reason: String)
    case invalidValue(file: String, line: Int, key: String, reason: String)
    case missingKey(file: String, line: Int, key: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "cannot read router config \(file): \(reason)."
        case .syntax(let file, let line, let reason):
            return "\(file):\(line): not valid YAML: \(reason)."
        case .invalidValue(let file, let line, let key, let reason):
            return "\(file):\(line): \(key): \(reason)."
        case .missingKey(let file, let line, let key):
            return "\(file):\(line): \(key) is required but missing."
        }
    }

    /// The line the error points at, if any.
    public var line: Int? {
        switch self {
        case .unreadable: return nil
        case .syntax(_, let line, _), .invalidValue(_, let line, _, _), .missingKey(_, let line, _): return line
        }
    }
}

/// Something in a configuration that was accepted but ignored or looks wrong; the CLI prints these.
public struct RouterConfigWarning: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The dotted path of the key, e.g. `litellm_settings.drop_params`.
    public var key: String
    public var message: String

    public init(file: String, line: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String { "\(file):\(line): warning: \(key): \(message)." }
}

/// A loaded configuration and what was ignored while loading it.
public struct LoadedRouterConfig: Sendable {
    public var config: RouterConfig
    public var warnings: [RouterConfigWarning]

    public init(config: RouterConfig, warnings: [RouterConfigWarning]) {
        self.config = config
        self.warnings = warnings
    }
}
