extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmedSpaces: String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension Array where Element == UInt8 {
    /// The first half of the bytes (rounded down): where a body is cut "mid-way".
    var firstHalf: [UInt8] { Array(prefix(count / 2)) }
}
