import Testing
import TestSupport
@testable import SSE

/// Every corpus stream must parse identically however the transport splits it (swift-nio style).
@Suite("SSE parser chunking")
struct SSEParserChunkingTests {
    static let corpus: [String] = {
        (Fixtures.files(under: "sse", extensions: ["sse"]) + Fixtures.files(under: "streams", extensions: ["sse"]))
            .map { $0.path.replacingOccurrences(of: Fixtures.root.path + "/", with: "") }
    }()

    @Test("the corpus is not empty")
    func corpusIsNotEmpty() {
        #expect(Self.corpus.count >= 7)
    }

    @Test("byte-by-byte feeding yields the same frames as feeding the whole stream", arguments: corpus)
    func byteByByte(path: String) throws {
        let bytes = try Fixtures.bytes(path)
        let whole = SSEParser.parse(bytes)
        var parser = SSEParser()
        var frames: [SSEFrame] = []
        for byte in bytes { frames += parser.feed(CollectionOfOne(byte)) }
        frames += parser.finish()
        #expect(frames == whole)
    }

    @Test("seeded random splits yield the same frames as feeding the whole stream", arguments: corpus)
    func randomSplits(path: String) throws {
        let bytes = try Fixtures.bytes(path)
        let whole = SSEParser.parse(bytes)
        for seed in UInt64(1)...50 {
            var generator = SeededGenerator(seed: seed)
            var parser = SSEParser()
            var frames: [SSEFrame] = []
            var start = 0
            while start < bytes.count {
                let length = Int(generator.next() % 64) + 1
                let end = min(bytes.count, start + length)
                frames += parser.feed(bytes[start..<end])
                start = end
            }
            frames += parser.finish()
            #expect(frames == whole, "seed \(seed)")
        }
    }

    @Test("every split into two parts yields the same frames", arguments: corpus)
    func everyTwoWaySplit(path: String) throws {
        let bytes = try Fixtures.bytes(path)
        guard bytes.count <= 8192 else { return }
        let whole = SSEParser.parse(bytes)
        for cut in 0...bytes.count {
            var parser = SSEParser()
            let frames = parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...]) + parser.finish()
            #expect(frames == whole, "split at \(cut)")
        }
    }

    @Test("encoding the parsed frames reproduces the input byte for byte", arguments: corpus)
    func roundTrip(path: String) throws {
        let bytes = try Fixtures.bytes(path)
        #expect(SSEEncoder.encode(SSEParser.parse(bytes)) == bytes)
    }
}
