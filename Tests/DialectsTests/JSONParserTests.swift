import Foundation
import SSE
import Testing

@testable import Dialects

/// `JSONValue.parse` reads every document exactly as the `JSONDecoder` path it replaced.
@Suite("JSON parser")
struct JSONParserTests {
    /// Both readers' verdict on some bytes: the value, or that it is invalid.
    private static func verdicts(_ bytes: [UInt8]) -> (new: JSONValue?, old: JSONValue?) {
        (try? JSONValue.parse(bytes), try? JSONValue.parseWithFoundation(bytes))
    }

    static let edgeCases: [String] = [
        "1", "1.0", "1e3", "1E2", "-0", "-0.0", "12345678901234567890", "1.5", "0.1", "-12", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "1e400", "1e-2", "2.50", "100000000000000000000.0",
        "\"a\\u00e9\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "{\"a\":1,\"a\":2}", " [1, 2] ", "[1,]",
        "{\"a\":1,}", "01", "-01", "true", "false", "null", "nul", "[1] x", "\"\\/\"", "{}", "[]", "\"\u{1}\"", "\"\t\"", "1.", ".5",
        "-", "+1", "\"abc", "", "   ", "[", "{\"a\"}", "{\"a\":}", "{a:1}", "[1 2]", "\"\\x\"", "\"\\u12G4\"", "\"é\"",
        "{\"nested\":{\"list\":[1,2.5,\"three\",null,true,{\"x\":[]}]}}", "[[[[[[]]]]]]", "\"\\\"\\\\\\b\\f\\n\\r\\t\"", "1e", "1e+",
        "0.0000001", "123.456e-2", "[\"\u{10FFFF}\"]",
    ]

    @Test("edge cases: the same value, or both invalid", arguments: edgeCases)
    func edgeCase(_ text: String) {
        let (new, old) = Self.verdicts(Array(text.utf8))
        #expect(new == old, "\(text.debugDescription)")
    }

    @Test("invalid UTF-8 in a string is an error in both")
    func invalidUTF8() {
        let (new, old) = Self.verdicts([0x22, 0xFF, 0xFE, 0x22])
        #expect(new == nil && old == nil)
    }

    @Test("every JSON body and every SSE data line of the fixtures reads the same")
    func fixtures() throws {
        var documents = 0
        for url in Fixtures.files(under: "streams", extensions: ["json", "sse"]) {
            let bytes = Array(try Data(contentsOf: url))
            let pieces: [[UInt8]] = url.pathExtension == "json"
                ? [bytes]
                : SSEParser.parse(bytes).compactMap { $0.event.map { Array($0.data.utf8) } }
            for piece in pieces {
                let (new, old) = Self.verdicts(piece)
                #expect(new == old, "\(url.lastPathComponent): \(String(decoding: piece.prefix(80), as: UTF8.self))")
                documents += 1
            }
        }
        #expect(documents > 500)
    }

    @Test("errors say what is wrong and where")
    func errorMessage() {
        #expect(throws: JSONValueError.self) { try JSONValue.parse("{\"a\": tru}") }
        do {
            _ = try JSONValue.parse("[1, 2")
        } catch {
            #expect("\(error)".hasPrefix("invalid JSON: "))
        }
    }
}
