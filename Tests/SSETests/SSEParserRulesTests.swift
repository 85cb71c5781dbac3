import Testing
import TestSupport
@testable import SSE

/// The WHATWG parsing rules, one behaviour per test, on the hand-written edge-case fixtures.
@Suite("SSE parser rules")
struct SSEParserRulesTests {
    private func events(_ path: String) throws -> [SSEEvent] {
        SSEParser.parse(try Fixtures.bytes(path)).compactMap { $0.isTerminated ? $0.event : nil }
    }

    @Test("multi-line data joins with a line feed and the type defaults to message")
    func multilineData() throws {
        #expect(try events("sse/multiline-data.sse") == [
            SSEEvent(data: "first"), SSEEvent(data: "second\nline two"),
        ])
    }

    @Test("a byte order mark is stripped at stream start only")
    func byteOrderMark() throws {
        // The second BOM begins a line, so that line's field name is "\u{FEFF}data": unknown, ignored.
        #expect(try events("sse/bom-at-start-only.sse") == [SSEEvent(data: "after bom"), SSEEvent(data: "ok")])
    }

    @Test("LF, CRLF and CR line endings may be mixed in one stream")
    func mixedLineEndings() throws {
        let frames = SSEParser.parse(try Fixtures.bytes("sse/mixed-line-endings.sse"))
        #expect(frames.compactMap(\.event).map(\.data) == ["lf", "crlf", "cr", "mixed"])
        #expect(frames.last?.comments == [" comment cr"], "the space after the colon is part of a comment")
        #expect(frames.map { String(decoding: $0.raw, as: UTF8.self) } == [
            "data: lf\n\n", "data: crlf\r\n\r\n", "data: cr\r\r", "data: mixed\r\n\n", ": comment cr\r\r",
        ])
    }

    @Test("comments and blank lines are kept as keep-alive frames")
    func keepAlives() throws {
        let frames = SSEParser.parse(try Fixtures.bytes("sse/keepalive-comments.sse"))
        // ":\n\n" is a comment block; the two extra line feeds after it are blank frames of their own.
        #expect(frames.map(\.isKeepAlive) == [true, true, false, true, true, true, false])
        #expect(frames[0].comments == [" ping - 2025-01-01 00:00:00"])
        #expect(frames[1].comments == [" OPENROUTER PROCESSING"])
        #expect(frames[4].raw == [0x0A], "a stray blank line is a frame of its own")
    }

    @Test("event, id and retry fields set type, last event id and reconnection time")
    func fields() throws {
        #expect(try events("sse/fields-event-id-retry.sse") == [
            SSEEvent(type: "custom", data: "typed", id: "7", retry: 3000),
            SSEEvent(data: "inherits id 7", id: "7"),
            SSEEvent(data: "id cleared", id: ""),
            SSEEvent(data: "bad retry ignored", id: ""),
        ])
    }

    @Test("one optional space after the colon; names are case-sensitive; no colon means empty value")
    func fieldParsingEdges() throws {
        #expect(try events("sse/field-parsing-edges.sse") == [
            SSEEvent(data: "no space"),
            SSEEvent(data: " two spaces keeps one"),
            SSEEvent(data: ""),
            SSEEvent(data: ""),
            SSEEvent(data: "x"),
        ])
    }

    @Test("a pending event at end of stream is reported as unterminated, not dropped")
    func unterminatedTail() throws {
        let frames = SSEParser.parse(try Fixtures.bytes("sse/unterminated-tail.sse"))
        #expect(frames.count == 2)
        #expect(frames[0].isTerminated && frames[0].event?.data == "complete")
        #expect(!frames[1].isTerminated)
        #expect(frames[1].event?.data == "pending without blank line")
    }

    @Test("a carriage return split from its line feed across chunks is one line ending")
    func splitCRLF() {
        var parser = SSEParser()
        let first = parser.feed(Array("data: a\r\n\r".utf8))
        #expect(first.isEmpty, "the last CR may still be followed by LF")
        let second = parser.feed(Array("\ndata: b\r\n\r\n".utf8))
        #expect(second.map { String(decoding: $0.raw, as: UTF8.self) } == ["data: a\r\n\r\n", "data: b\r\n\r\n"])
        #expect(parser.finish().isEmpty)
    }

    @Test("a lone trailing CR ends the stream's last block at finish")
    func trailingCR() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: a\r\r".utf8)).isEmpty)
        let frames = parser.finish()
        #expect(frames.count == 1 && frames[0].isTerminated && frames[0].event?.data == "a")
    }
}

/// Hostile input must never crash the parser or lose bytes.
@Suite("SSE parser robustness")
struct SSEParserRobustnessTests {
    @Test("invalid UTF-8 is replaced, never a crash, and raw bytes are kept")
    func invalidUTF8() {
        let bytes: [UInt8] = Array("data: ".utf8) + [0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80] + [0x0A, 0x0A]
        let frames = SSEParser.parse(bytes)
        #expect(frames.count == 1)
        #expect(frames[0].raw == bytes)
        #expect(frames[0].event?.data.contains("\u{FFFD}") == true)
    }

    @Test("an id containing NUL is ignored")
    func nulInID() {
        let bytes: [UInt8] = Array("id: ok\ndata: a\n\nid: b".utf8) + [0] + Array("ad\ndata: b\n\n".utf8)
        let events = SSEParser.parse(bytes).compactMap(\.event)
        #expect(events.map(\.id) == ["ok", "ok"])
    }

    @Test("a line of one megabyte is parsed whole, fed in one piece or in small chunks")
    func megabyteLine() {
        let payload = String(repeating: "x", count: 1 << 20)
        let bytes = Array("data: \(payload)\n\n".utf8)
        #expect(SSEParser.parse(bytes).first?.event?.data.count == 1 << 20)
        var parser = SSEParser()
        var frames: [SSEFrame] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 997)
            frames += parser.feed(bytes[start..<end])
            start = end
        }
        frames += parser.finish()
        #expect(frames.count == 1 && frames[0].raw.count == bytes.count)
    }

    @Test("seeded random bytes never crash and always round-trip")
    func randomBytes() {
        var generator = SeededGenerator(seed: 42)
        let alphabet: [UInt8] = Array("data:event:id:retry: \r\n\n\n:abc{}\"".utf8) + [0, 0xFF, 0xEF, 0xBB, 0xBF]
        for _ in 0..<300 {
            let length = Int(generator.next() % 400)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            #expect(SSEEncoder.encode(SSEParser.parse(bytes)) == bytes)
        }
    }

    @Test("empty input gives no frames")
    func emptyInput() {
        #expect(SSEParser.parse([UInt8]()).isEmpty)
    }
}

/// The encoder writes what the parser reads back.
@Suite("SSE encoder")
struct SSEEncoderTests {
    @Test("encoded events parse back to the same events", arguments: ["\n", "\r\n"])
    func encodeParse(lineEnding: String) {
        let encoder = SSEEncoder(lineEnding: lineEnding)
        let events = [
            SSEEvent(data: "{\"a\":1}"),
            SSEEvent(type: "message_start", data: "line one\nline two"),
            SSEEvent(type: "x", data: "", id: "9", retry: 10),
        ]
        let bytes = events.flatMap(encoder.encode)
        #expect(SSEParser.parse(bytes).compactMap(\.event) == events)
    }

    @Test("data is split into lines at every CR, LF and CRLF, byte for byte")
    func multiLineData() {
        let event = SSEEvent(type: "x", data: "a\nb\r\nc\rd\r\r\né\n", id: "1")
        let text = String(decoding: SSEEncoder(lineEnding: "\r\n", namesMessageEvents: true).encode(event), as: UTF8.self)
        #expect(text == "event: x\r\nid: 1\r\ndata: a\r\ndata: b\r\ndata: c\r\ndata: d\r\ndata: \r\ndata: é\r\ndata: \r\n\r\n")
        #expect(SSEParser.parse(Array(text.utf8)).first?.event?.data == "a\nb\nc\nd\n\né\n")
    }

    @Test("a comment block is a keep-alive frame")
    func comment() {
        let frames = SSEParser.parse(SSEEncoder().comment(" ping"))
        #expect(frames.count == 1 && frames[0].isKeepAlive && frames[0].comments == [" ping"])
    }
}
