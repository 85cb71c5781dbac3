@testable import Recorder
import Testing
import TestSupport

/// `StreamCapture.mayBeError` decides which frames get the dialect's (costly) in-band error check;
/// it is written for speed and held here to the plain definition: the bytes contain `error` or
/// `failed`.
@Suite("The error-word scan")
struct ErrorWordScanTests {
    static let pieces: [[UInt8]] = [
        "error", "failed", "err", "erro", "errr", "fai", "fail", "faile", "e", "f", "r", "ro", "ai", "led", "ERROR",
        "data: ", "{\"type\":\"", "\"}", "\n\n", "content", "response.", "x", "0123456789abcdef",
    ].map { Array($0.utf8) }

    static func containsReference(_ bytes: [UInt8]) -> Bool {
        func contains(_ word: String) -> Bool {
            let needle = Array(word.utf8)
            guard bytes.count >= needle.count else { return false }
            return (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
        }
        return contains("error") || contains("failed")
    }

    @Test("matches the plain definition on 5,000 inputs, words at every offset")
    func matchesReference() {
        var random = SeededGenerator(seed: 0xE5505)
        var found = 0
        for iteration in 0..<5_000 {
            var bytes: [UInt8] = []
            for _ in 0..<random.below(random.chance(1, in: 4) ? 200 : 12) {
                bytes += random.chance(1, in: 20) ? random.pick(Self.pieces) : random.pick(Array(Self.pieces[9...]))
            }
            let expected = Self.containsReference(bytes)
            if expected { found += 1 }
            #expect(StreamCapture.mayBeError(bytes) == expected, "iteration \(iteration): \(String(decoding: bytes, as: UTF8.self))")
        }
        // Both answers occur often enough to mean something.
        #expect(found > 500 && found < 4_500)
    }

    @Test("a word at the very end or cut short by it", arguments: ["error", "failed", "x error", "0123456789abcdefghij failed"])
    func atTheEnd(_ text: String) {
        #expect(StreamCapture.mayBeError(Array(text.utf8)))
        #expect(!StreamCapture.mayBeError(Array(text.utf8.dropLast())))
    }
}
