import Cassettes
import Foundation
import Testing

/// The secret scan (tools/secret-scan) decompresses cassette blobs with its own copies of the
/// store's preset dictionaries; a copy that drifted would make it unable to read blobs.
@Suite("Secret scan dictionaries")
struct ScanDictionaryTests {
    @Test("the secret scan's copies of the preset zlib dictionaries are exactly the store's")
    func copiesMatch() throws {
        let folder = Fixtures.root.deletingLastPathComponent().appendingPathComponent("tools/secret-scan/zlib-dictionaries")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "bin" }
        var copies: [UInt32: [UInt8]] = [:]
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            copies[Compression.adler32(bytes)] = bytes
        }
        #expect(Set(copies.keys) == Set(CompressionDictionary.all.keys),
                "copies in \(folder.path) differ from CompressionDictionary.all")
        for (id, dictionary) in CompressionDictionary.all { #expect(copies[id] == dictionary, "dictionary \(id)") }
    }
}
