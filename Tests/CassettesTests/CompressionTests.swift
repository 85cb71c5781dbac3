@testable import Cassettes
import Dialects
import Foundation
import Testing

@Suite("Compression and blob layout")
struct CompressionTests {
    @Test("deflate then inflate gives the input back, with and without a dictionary")
    func roundTrip() throws {
        let input = Sample.openAIStream(words: (0..<200).map { " w\($0)" }).content.bytes
        for dictionary in [nil, CompressionDictionary.forWriting(.openAIChat)] {
            let packed = try Compression.deflate(input, dictionary: dictionary)
            #expect(packed.count < input.count / 4)
            let unpacked = try Compression.inflate(packed, dictionaries: CompressionDictionary.all, expectedSize: input.count)
            #expect(unpacked == input)
        }
    }

    @Test("a preset dictionary shrinks a short stream")
    func dictionaryHelpsShortStreams() throws {
        let input = Sample.openAIStream().content.bytes
        let plain = try Compression.deflate(input)
        let primed = try Compression.deflate(input, dictionary: CompressionDictionary.forWriting(.openAIChat))
        #expect(primed.count < plain.count)
    }

    @Test("a blob that needs an unknown dictionary, or is cut short, fails with a reason")
    func damagedBlobsFail() throws {
        let input = Array(String(repeating: "data: {\"x\":1}\n\n", count: 50).utf8)
        let primed = try Compression.deflate(input, dictionary: Array("some other dictionary".utf8))
        #expect(throws: CompressionError.unknownDictionary(Compression.adler32(Array("some other dictionary".utf8)))) {
            try Compression.inflate(primed, dictionaries: CompressionDictionary.all)
        }
        let plain = try Compression.deflate(input)
        #expect(throws: CompressionError.truncated) { try Compression.inflate(Array(plain.prefix(plain.count / 2))) }
        #expect(throws: CompressionError.sizeMismatch(expected: input.count + 1, actual: input.count)) {
            try Compression.inflate(plain, expectedSize: input.count + 1)
        }
    }

    @Test("every dictionary is registered under its Adler-32")
    func dictionariesRegistered() {
        for dialect in Dialect.allCases {
            let dictionary = CompressionDictionary.forWriting(dialect)!
            #expect(CompressionDictionary.all[Compression.adler32(dictionary)] == dictionary)
        }
    }

    @Test("a frame list keeps every offset and byte, including empty and binary frames")
    func frameListRoundTrip() throws {
        let frames = [
            Frame(offsetMicros: 0, bytes: []),
            Frame(offsetMicros: 1_500_000, bytes: Array("data: hi\r\n\r\n".utf8)),
            Frame(offsetMicros: 1_499_999, bytes: [0xFF, 0x00, 0xC3]),
            Frame(offsetMicros: Int64(Int32.max) * 10, bytes: Array(repeating: 0x61, count: 300)),
        ]
        let blob = try BlobCodec.compress(BlobCodec.encodeFrames(frames), dictionary: nil)
        #expect(try BlobCodec.decodeFrames(BlobCodec.decompress(blob, expectedSize: nil)) == frames)
        #expect(throws: BlobFormatError.self) { try BlobCodec.decodeFrames(Array(BlobCodec.encodeFrames(frames).dropLast())) }
    }

    @Test("frames that are whole SSE blocks are stored without lengths, and any other split still round-trips")
    func implicitLengths() throws {
        let blocks = Sample.anthropicStream().content
        guard case .frames(let whole) = blocks else {
            Issue.record("no frames")
            return
        }
        let wholeParts = BlobCodec.encodeFrameParts(whole)
        #expect(wholeParts[0][1] == UInt8(BlobCodec.implicitLengthsFlag))
        #expect(try BlobCodec.decodeFrames(wholeParts.flatMap { $0 }) == whole)
        // Transport chunks that cut blocks anywhere, including between CR and LF.
        let bytes = Array("event: a\r\ndata: 1\r\n\r\ndata: 2\n\n: ping\r\r".utf8)
        let cuts = [0, 9, 19, 20, 27, bytes.count]
        let chunks = zip(cuts, cuts.dropFirst()).enumerated().map { index, range in
            Frame(offsetMicros: Int64(index) * 1_000, bytes: Array(bytes[range.0..<range.1]))
        }
        let chunkParts = BlobCodec.encodeFrameParts(chunks)
        #expect(chunkParts[0][1] == 0)
        #expect(try BlobCodec.decodeFrames(chunkParts.flatMap { $0 }) == chunks)
        #expect(BlobCodec.blockLengths(bytes) == [21, 9, 8])
    }

    @Test("gzip bodies, as vcrpy stores them, decompress")
    func gunzip() throws {
        let text = "data: {\"a\":1}\n\ndata: [DONE]\n\n"
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let file = directory.path("body.txt")
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-k", "-9", file]
        try process.run()
        process.waitUntilExit()
        let gzipped = try Data(contentsOf: URL(fileURLWithPath: file + ".gz"))
        #expect(try Compression.gunzip(Array(gzipped)) == Array(text.utf8))
    }
}

@Suite("Request fingerprint")
struct FingerprintTests {
    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256Vectors() {
        func hex(_ text: String) -> String {
            var hasher = SHA256()
            hasher.update(Array(text.utf8))
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1000)).count == 64)
    }

    @Test("volatile fields, key order and whitespace do not change the fingerprint")
    func volatileFieldsIgnored() {
        let a = #"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true},"user":"u1","metadata":{"trace":"x"}}"#
        let b = #"{ "messages": [ {"content": "Hi", "role": "user"} ], "model": "gpt-4o", "user": "someone-else" }"#
        let fa = RequestFingerprint.compute(method: "POST", endpoint: "/v1/chat/completions", model: "gpt-4o", body: Array(a.utf8))
        let fb = RequestFingerprint.compute(method: "post", endpoint: "/v1/chat/completions?x=1", model: "gpt-4o", body: Array(b.utf8))
        #expect(fa == fb)
        #expect(fa.count == 64)
    }

    @Test("a different message, model or endpoint changes the fingerprint")
    func meaningfulChanges() {
        let body = Array(#"{"messages":[{"role":"user","content":"Hi"}]}"#.utf8)
        let base = RequestFingerprint.compute(method: "POST", endpoint: "/v1/chat/completions", model: "gpt-4o", body: body)
        #expect(base != RequestFingerprint.compute(method: "POST", endpoint: "/v1/chat/completions", model: "gpt-4o-mini", body: body))
        #expect(base != RequestFingerprint.compute(method: "POST", endpoint: "/v1/responses", model: "gpt-4o", body: body))
        #expect(base != RequestFingerprint.compute(
            method: "POST", endpoint: "/v1/chat/completions", model: "gpt-4o",
            body: Array(#"{"messages":[{"role":"user","content":"Hi!"}]}"#.utf8)))
    }

    @Test("Gemini's stream and non-stream methods share a fingerprint")
    func geminiModes() {
        let body = Array(#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#.utf8)
        let stream = RequestFingerprint.compute(
            method: "POST", endpoint: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", model: "gemini-2.5-flash", body: body)
        let plain = RequestFingerprint.compute(
            method: "POST", endpoint: "/v1beta/models/gemini-2.5-flash:generateContent", model: "gemini-2.5-flash", body: body)
        #expect(stream == plain)
    }
}
