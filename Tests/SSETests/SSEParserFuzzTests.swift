import Testing

@testable import SSE

/// Seeded fuzzing of the parser with damaged real streams: it never traps, never loses or invents
/// a byte, reads any chunking the same, and holds no more than the input it has not framed yet.
@Suite("SSE parser fuzzing")
struct SSEParserFuzzTests {
    static let corpus: [[UInt8]] = (Fixtures.files(under: "sse", extensions: ["sse"])
        + Fixtures.files(under: "streams", extensions: ["sse"]))
        .compactMap { try? Fixtures.bytes($0.path.replacingOccurrences(of: Fixtures.root.path + "/", with: "")) }

    @Test("the fuzz corpus holds every SSE fixture")
    func corpusIsLoaded() {
        #expect(Self.corpus.count >= 40)
    }

    @Test("mutated fixtures round-trip byte for byte, chunk-independently, within the retained-bytes bound")
    func mutatedFixtures() {
        let mutator = ByteMutator(donors: Self.corpus)
        FuzzCampaign("SSE mutated fixtures", seed: 0x55E, iterations: 3_000).run { fuzzCase in
            let original = fuzzCase.random.pick(Self.corpus)
            let (bytes, kinds) = mutator.mutate(original, using: &fuzzCase.random)
            Self.check(bytes, chunkSeed: fuzzCase.random.next(), label: "\(fuzzCase.label) after \(kinds)")
        }
    }

    @Test("random byte soup from the SSE alphabet round-trips under random chunking")
    func byteSoup() {
        let alphabet = Array("data:event:id:retry: \r\n\n:{}\"[DONE]0123456789".utf8) + [0, 0x80, 0xFF, 0xEF, 0xBB, 0xBF]
        FuzzCampaign("SSE byte soup", seed: 0xB0B, iterations: 1_500).run { fuzzCase in
            let length = fuzzCase.random.below(600)
            let bytes = (0..<length).map { _ in fuzzCase.random.pick(alphabet) }
            Self.check(bytes, chunkSeed: fuzzCase.random.next(), label: fuzzCase.label)
        }
    }

    @Test("pathological streams end and keep the retained-bytes bound", arguments: Pathology.allCases)
    func pathological(_ pathology: Pathology) {
        let bytes = pathology.bytes
        let whole = SSEParser.parse(bytes)
        #expect(SSEEncoder.encode(whole) == bytes)
        // Byte by byte is where a rescan from the line start would turn quadratic and hang.
        var parser = SSEParser()
        var fed = 0
        var framed = 0
        for byte in bytes {
            fed += 1
            framed += parser.feed(CollectionOfOne(byte)).reduce(0) { $0 + $1.raw.count }
            guard parser.retainedByteCount == fed - framed else {
                Issue.record("\(pathology): retained \(parser.retainedByteCount) bytes with \(fed - framed) unframed")
                return
            }
        }
        framed += parser.finish().reduce(0) { $0 + $1.raw.count }
        #expect(framed == bytes.count && parser.retainedByteCount == 0)
    }

    enum Pathology: String, CaseIterable, Sendable {
        case longLineWithoutTerminator, carriageReturnsOnly, emptyLinesOnly, commentLinesWithoutBlank
        case dataLinesWithoutBlank, hugeRetry, bomRepeated

        var bytes: [UInt8] {
            let size = 60_000
            switch self {
            case .longLineWithoutTerminator: return Array("data: ".utf8) + [UInt8](repeating: 0x61, count: size)
            case .carriageReturnsOnly: return [UInt8](repeating: 0x0D, count: size)
            case .emptyLinesOnly: return [UInt8](repeating: 0x0A, count: size)
            case .commentLinesWithoutBlank: return Array(String(repeating: ":c\r", count: size / 3).utf8)
            case .dataLinesWithoutBlank: return Array(String(repeating: "data:x\n", count: size / 7).utf8)
            case .hugeRetry: return Array(("retry: " + String(repeating: "9", count: size) + "\n\n").utf8)
            case .bomRepeated: return Array(String(repeating: "\u{FEFF}", count: size / 3).utf8)
            }
        }
    }

    /// The properties every input must keep, checked with a seeded random chunking.
    static func check(_ bytes: [UInt8], chunkSeed: UInt64, label: String) {
        let whole = SSEParser.parse(bytes)
        #expect(SSEEncoder.encode(whole) == bytes, "\(label): frames do not reproduce the input")
        #expect(whole.dropLast().allSatisfy { $0.isTerminated }, "\(label): an unterminated frame before the end")
        var random = SeededGenerator(seed: chunkSeed)
        var parser = SSEParser()
        var frames: [SSEFrame] = []
        var start = 0
        var framed = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 1 + random.below(random.chance(1, in: 4) ? 4 : 200))
            let produced = parser.feed(bytes[start..<end])
            framed += produced.reduce(0) { $0 + $1.raw.count }
            frames += produced
            start = end
            if parser.retainedByteCount != start - framed {
                Issue.record("\(label): retained \(parser.retainedByteCount) bytes with \(start - framed) unframed")
                return
            }
        }
        frames += parser.finish()
        #expect(frames == whole, "\(label): chunked parse differs from the whole parse")
        #expect(parser.retainedByteCount == 0, "\(label): bytes retained after finish")
    }
}
