import Dialects
import SSE
import Testing

/// The OpenAI fixture streams go through the SSE parser intact, whichever way they are chunked
/// (the SSE tests cover the parser itself in depth).
@Suite("OpenAI fixture streams through the SSE parser")
struct OpenAIFixtureReparseTests {
    static let streams = ["streams/openai_chat", "streams/openai_responses"].flatMap { folder in
        OpenAIFixtureSupport.fixtureNames(in: folder).filter { $0.hasSuffix(".sse") }.map { "\(folder)/\($0)" }
    }

    @Test("a fixture stream reparses to the same bytes and frames, whole or byte by byte", arguments: streams)
    func reparse(path: String) throws {
        let bytes = try Fixtures.bytes(path)
        let frames = SSEParser.parse(bytes)
        #expect(frames.flatMap(\.raw) == bytes)
        #expect(frames.allSatisfy { $0.isTerminated })
        #expect(frames.contains { $0.event != nil })
        var parser = SSEParser()
        var pieces: [SSEFrame] = []
        for byte in bytes { pieces += parser.feed([byte]) }
        pieces += parser.finish()
        #expect(pieces == frames)
        // Re-encoding the parsed events keeps every event a client sees.
        let codec: any DialectCodec = path.contains("openai_chat") ? OpenAIChatCodec() : OpenAIResponsesCodec()
        let reencoded = frames.compactMap(\.event).flatMap { codec.encoder.encode($0) }
        #expect(SSEParser.parse(reencoded).compactMap(\.event) == frames.compactMap(\.event))
    }

    @Test("there are OpenAI fixture streams to check")
    func streamsExist() {
        #expect(Self.streams.count >= 20)
    }
}
