/// Why a faults file was refused: one sentence naming the file, the line when known, and the problem.
public enum FaultsFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The file is not valid YAML.
    case invalidYAML(file: String, line: Int?, reason: String)
    /// The YAML is valid but does not describe faults as documented in docs/faults.md.
    case invalid(file: String, line: Int?, message: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "faults file '\(file)' cannot be read: \(reason)"
        case .invalidYAML(let file, let line, let reason):
            return "faults file '\(file)'\(Self.at(line)) is not valid YAML: \(reason)"
        case .invalid(let file, let line, let message):
            return "faults file '\(file)'\(Self.at(line)): \(message)"
        }
    }

    private static func at(_ line: Int?) -> String { line.map { " line \($0)" } ?? "" }
}
