import Dialects

/// The `key=value` pairs of one spec, read by a fault's initializer with typed accessors that
/// turn a bad value into a `FaultSpecError` naming the spec and the key.
public struct FaultParameters: Sendable {
    /// The whole spec, quoted in error messages.
    public let spec: String
    private var values: [String: String]
    /// Keys in the order written, to report the first unread one.
    private let order: [String]

    /// Splits `key=value,…` (the part after `KIND:`); `spec` is the full text for messages.
    init(spec: String, parameterText: String?) throws(FaultSpecError) {
        self.spec = spec
        var values: [String: String] = [:]
        var order: [String] = []
        if let parameterText {
            for piece in parameterText.split(separator: ",", omittingEmptySubsequences: false) {
                let parameter = piece.trimmedSpaces
                guard let equals = parameter.firstIndex(of: "=") else {
                    throw .malformedParameter(spec: spec, parameter: parameter)
                }
                let key = parameter[..<equals].trimmedSpaces
                let value = parameter[parameter.index(after: equals)...].trimmedSpaces
                guard !key.isEmpty, !value.isEmpty else {
                    throw .malformedParameter(spec: spec, parameter: parameter)
                }
                guard values[key] == nil else { throw .duplicateKey(spec: spec, key: key) }
                values[key] = value
                order.append(key)
            }
        }
        self.values = values
        self.order = order
    }

    /// The first key no accessor has read, if any.
    var firstUnreadKey: String? { order.first { values[$0] != nil } }

    private mutating func take(_ key: String) -> String? {
        values.removeValue(forKey: key)
    }

    private mutating func readRequired<T>(
        _ key: String, expected: String, _ read: (String) -> T?
    ) throws(FaultSpecError) -> T {
        guard let text = take(key) else { throw .missingKey(spec: spec, key: key, expected: expected) }
        guard let value = read(text) else { throw .invalidValue(spec: spec, key: key, expected: expected) }
        return value
    }

    private mutating func readOptional<T>(
        _ key: String, expected: String, _ read: (String) -> T?
    ) throws(FaultSpecError) -> T? {
        guard let text = take(key) else { return nil }
        guard let value = read(text) else { throw .invalidValue(spec: spec, key: key, expected: expected) }
        return value
    }

    static let countExpectation = "a non-negative integer"
    static let secondsExpectation = "a non-negative number of seconds, e.g. 30 or 0.5"
    static let millisecondsExpectation = "a non-negative integer number of milliseconds"
    static let statusExpectation = "an HTTP error status from 400 to 599"
    static var kindExpectation: String {
        "one of " + ErrorKind.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// A non-negative integer (a number of events, a number of seconds for `retry-after`).
    public mutating func count(_ key: String) throws(FaultSpecError) -> Int {
        try readRequired(key, expected: Self.countExpectation, Self.readCount)
    }

    /// An optional non-negative integer.
    public mutating func optionalCount(_ key: String) throws(FaultSpecError) -> Int? {
        try readOptional(key, expected: Self.countExpectation, Self.readCount)
    }

    /// A duration in seconds with up to six decimals, returned in microseconds.
    public mutating func seconds(_ key: String) throws(FaultSpecError) -> Int64 {
        try readRequired(key, expected: Self.secondsExpectation, Self.readSeconds)
    }

    /// A duration in whole milliseconds, returned in microseconds.
    public mutating func milliseconds(_ key: String) throws(FaultSpecError) -> Int64 {
        try readRequired(key, expected: Self.millisecondsExpectation) { text in
            Self.readCount(text).flatMap { $0 <= Int(Int64.max / 1000) ? Int64($0) * 1000 : nil }
        }
    }

    /// An HTTP error status (400–599).
    public mutating func errorStatus(_ key: String) throws(FaultSpecError) -> Int {
        try readRequired(key, expected: Self.statusExpectation) { text in
            Self.readCount(text).flatMap { (400...599).contains($0) ? $0 : nil }
        }
    }

    /// A kind of the error taxonomy, by its name (`rate_limit`, `overloaded`, …).
    public mutating func errorKind(_ key: String) throws(FaultSpecError) -> ErrorKind {
        try readRequired(key, expected: Self.kindExpectation) { ErrorKind(rawValue: $0) }
    }

    /// Digits only, no sign, fitting an `Int`.
    static func readCount(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// `30`, `0.5`, `1.25`: whole seconds and up to six decimals, as microseconds.
    static func readSeconds(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = readCount(String(parts[0])), whole <= 1_000_000_000 else { return nil }
        var micros = Int64(whole) * 1_000_000
        if parts.count == 2 {
            let fraction = String(parts[1])
            guard fraction.count <= 6, let digits = readCount(fraction) else { return nil }
            var scale = 1
            for _ in fraction.count..<6 { scale *= 10 }
            micros += Int64(digits * scale)
        }
        return micros
    }

    /// Microseconds written back as seconds the way `readSeconds` reads them: `30`, `0.5`.
    static func formatSeconds(_ micros: Int64) -> String {
        let whole = micros / 1_000_000
        let fraction = micros % 1_000_000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
