import Cassettes
import Dialects
import Foundation
import Recorder
import SSE
import Testing

@Suite("Stream capture")
struct StreamCaptureTests {
    static let sse = [HTTPField("content-type", "text/event-stream; charset=utf-8")]

    /// (fixture, dialect, ending when the upstream finished its body properly)
    static let fixtures: [(String, Dialect, Ending)] = [
        ("streams/openai_chat/text-stop.sse", .openAIChat, .complete),
        ("streams/openai_chat/cut-before-done.sse", .openAIChat, .truncated),
        ("streams/openai_chat/inband-error-midstream.sse", .openAIChat, .inBandError),
        ("streams/openai_chat/keepalive-comments.sse", .openAIChat, .complete),
        ("streams/openai_responses/text-stop.sse", .openAIResponses, .complete),
        ("streams/openai_responses/cut-before-terminal.sse", .openAIResponses, .truncated),
        ("streams/openai_responses/inband-error-midstream-flat.sse", .openAIResponses, .inBandError),
        ("streams/openai_responses/response-failed.sse", .openAIResponses, .inBandError),
        ("streams/anthropic_messages/text-end-turn.sse", .anthropicMessages, .complete),
        ("streams/anthropic_messages/cut-before-message-stop.sse", .anthropicMessages, .truncated),
        ("streams/anthropic_messages/inband-overloaded-midstream.sse", .anthropicMessages, .inBandError),
        ("streams/gemini/text-stop.sse", .gemini, .complete),
        ("streams/gemini/cut-mid-stream.sse", .gemini, .truncated),
        ("streams/gemini/inband-error-midstream.sse", .gemini, .inBandError),
    ]

    static func capture(_ bytes: [UInt8], dialect: Dialect?, chunkSize: Int, termination: UpstreamTermination = .finished)
        -> StreamCapture.Result
    {
        var capture = StreamCapture(dialect: dialect)
        capture.receiveHead(status: 200, headers: sse, at: 100)
        var offset: Int64 = 1_000
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + chunkSize)
            capture.receive(bytes[index..<end], at: offset)
            offset += 1_000
            index = end
        }
        return capture.finish(termination, at: offset)
    }

    @Test("every fixture stream is captured frame for frame, whatever the chunking, with its ending", arguments: fixtures)
    func fixtureStreams(path: String, dialect: Dialect, ending: Ending) throws {
        let bytes = try Fixtures.bytes(path)
        let expectedFrames = SSEParser.parse(bytes).map(\.raw)
        for chunkSize in [1, 7, 64, bytes.count] {
            let result = Self.capture(bytes, dialect: dialect, chunkSize: chunkSize)
            guard case .frames(let frames) = result.content else {
                Issue.record("\(path) was not captured as frames")
                continue
            }
            #expect(frames.map(\.bytes) == expectedFrames, "\(path) at chunk size \(chunkSize)")
            #expect(result.content.bytes == bytes)
            #expect(result.ending == ending, "\(path) at chunk size \(chunkSize)")
            #expect(frames.map(\.offsetMicros) == frames.map(\.offsetMicros).sorted())
        }
    }

    @Test("the dialect is detected from the events when the path did not tell")
    func detectedDialect() throws {
        let bytes = try Fixtures.bytes("streams/anthropic_messages/cut-before-message-stop.sse")
        #expect(Self.capture(bytes, dialect: nil, chunkSize: 50).ending == .truncated)
        let complete = try Fixtures.bytes("streams/anthropic_messages/text-end-turn.sse")
        #expect(Self.capture(complete, dialect: nil, chunkSize: 50).ending == .complete)
    }

    @Test("a frame's offset is when its last byte arrived")
    func offsets() {
        var capture = StreamCapture(dialect: .openAIChat)
        capture.receiveHead(status: 200, headers: Self.sse, at: 10)
        #expect(capture.receive(Array("data: {\"a\":".utf8), at: 100) == 0)
        #expect(capture.receive(Array("1}\n\ndata: [DONE]\n\n".utf8), at: 250) == 2)
        let result = capture.finish(.finished, at: 300)
        #expect(result.content == .frames([
            Frame(offsetMicros: 250, bytes: Array("data: {\"a\":1}\n\n".utf8)),
            Frame(offsetMicros: 250, bytes: Array("data: [DONE]\n\n".utf8)),
        ]))
        #expect(result.head?.offsetMicros == 10)
        #expect(result.ending == .complete)
    }

    @Test("a plain body is kept whole; an error status is an http_error")
    func plainBody() {
        var capture = StreamCapture(dialect: .openAIChat)
        capture.receiveHead(status: 429, headers: [HTTPField("content-type", "application/json")], at: 5)
        capture.receive(Array("{\"error\":".utf8), at: 6)
        capture.receive(Array("{}}".utf8), at: 7)
        let result = capture.finish(.finished, at: 8)
        #expect(result.content == .body(Array("{\"error\":{}}".utf8)))
        #expect(result.ending == .httpError)
    }

    @Test("beyond the capture limit nothing more is stored but the ending is still judged")
    func captureLimit() throws {
        let bytes = try Fixtures.bytes("streams/openai_chat/text-stop.sse")
        var capture = StreamCapture(dialect: .openAIChat, maxCapturedBytes: 300)
        capture.receiveHead(status: 200, headers: Self.sse, at: 0)
        capture.receive(bytes, at: 1)
        let result = capture.finish(.finished, at: 2)
        #expect(result.overLimit)
        #expect(result.content.byteCount <= 300)
        #expect(result.relayedBytes == bytes.count)
        #expect(result.ending == .complete)
    }
}
