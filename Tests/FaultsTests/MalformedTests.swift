import Dialects
@testable import Faults
import SSE
import Testing

@Suite("Malformed frames and bodies")
struct MalformedTests {
    @Test("broken text never parses as JSON", arguments: [
        #"{"a":1}"#, "12345", "", "1", "[1,2,3]", #""string""#, "true", #"{"long":"ünïcødé text ✓"}"#,
    ])
    func invalidJSONNeverParses(_ original: String) {
        let broken = MalformedFault.invalidJSON(from: original)
        #expect(!broken.isEmpty)
        #expect((try? JSONValue.parse(broken)) == nil, "'\(broken)' parsed")
    }

    @Test("a broken frame keeps its event and id lines and its CRLF line endings")
    func keepsFraming() {
        let block = Array("event: delta\r\nid: 7\r\ndata: {\"a\":\"bcdef\"}\r\n\r\n".utf8)
        let broken = MalformedFault.breakingData(of: block)
        #expect(String(decoding: broken, as: UTF8.self) == "event: delta\r\nid: 7\r\ndata: {\"a\":\"\r\n\r\n")
        let event = SSEParser.parse(broken).first?.event
        #expect(event?.type == "delta")
        #expect(event?.id == "7")
        #expect(event.map { (try? JSONValue.parse($0.data)) == nil } == true)
    }

    @Test("multi-line data becomes one broken payload in the same block")
    func multiLineData() {
        let block = Array("data: {\"a\":\ndata: \"bcdefgh\"}\n\n".utf8)
        let broken = MalformedFault.breakingData(of: block)
        let frames = SSEParser.parse(broken)
        #expect(frames.count == 1)
        #expect(frames.first?.event?.data == "{\"a\":\n\"b")
    }
}
