/// Strict UTF-8 decoding: text only when the bytes are valid UTF-8, so a decoded string
/// re-encodes to exactly the same bytes.
enum UTF8Text {
    static func string(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces invalid sequences with U+FFFD, which changes the bytes.
        return text.utf8.elementsEqual(bytes) ? text : nil
    }
}
