import Foundation
import SSE
import Testing

@testable import Dialects

/// Seeded fuzzing of the byte-level JSON reader: it accepts or rejects with `JSONValueError`,
/// never traps, bounds nesting with a clear error, and what it accepts writes back to itself.
@Suite("JSON parser fuzzing")
struct JSONParserFuzzTests {
    /// Every JSON document of the fixtures: bodies, and the data of every stream event.
    static let documents: [[UInt8]] = Fixtures.files(under: "streams", extensions: ["json", "sse"]).flatMap { url -> [[UInt8]] in
        guard let bytes = try? Array(Data(contentsOf: url)) else { return [] }
        if url.pathExtension == "json" { return [bytes] }
        return SSEParser.parse(bytes).compactMap { $0.event.map { Array($0.data.utf8) } }
    }

    @Test("damaged fixture documents are read or rejected, and what is read writes back to the same value")
    func damagedDocuments() {
        let mutator = ByteMutator(donors: Self.documents)
        FuzzCampaign("JSON damaged documents", seed: 0x150, iterations: 3_000).run { fuzzCase in
            let (bytes, kinds) = mutator.mutate(fuzzCase.random.pick(Self.documents), using: &fuzzCase.random)
            Self.checkRoundTrip(bytes, label: "\(fuzzCase.label) after \(kinds)")
        }
    }

    @Test("random structural JSON is read and writes back to the same value")
    func randomDocuments() {
        let json = RandomJSON(maxDepth: 8)
        FuzzCampaign("JSON random documents", seed: 0x151, iterations: 1_500).run { fuzzCase in
            let text = json.value(depth: 0, using: &fuzzCase.random)
            Self.checkRoundTrip(Array(text.utf8), label: fuzzCase.label)
        }
    }

    @Test("nesting beyond 512 levels is a clear error, not a stack overflow", arguments: [513, 5_000, 1_000_000])
    func deepNesting(depth: Int) {
        for opener in ["[", "{\"a\":"] {
            let bytes = Array(String(repeating: opener, count: depth).utf8)
            #expect {
                try JSONValue.parse(bytes)
            } throws: { error in
                "\(error)".contains("nesting deeper than 512 levels")
            }
        }
    }

    @Test("nesting of exactly 512 levels is read and written back")
    func deepestAccepted() throws {
        let text = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        let value = try JSONValue.parse(text)
        #expect(JSONWriter.bytes(value) == Array(text.utf8))
    }

    /// Accepted bytes must give a value that writes and reads back unchanged; rejected bytes must
    /// say why with a `JSONValueError`.
    static func checkRoundTrip(_ bytes: [UInt8], label: String) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            #expect(error is JSONValueError, "\(label): rejected with \(type(of: error))")
            return
        }
        let written = JSONWriter.bytes(value)
        #expect((try? JSONValue.parse(written)) == value, "\(label): \(String(decoding: written.prefix(200), as: UTF8.self))")
        #expect(written.count <= 2 * bytes.count + 16, "\(label): wrote \(written.count) bytes for \(bytes.count)")
    }
}
