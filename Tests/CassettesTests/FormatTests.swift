import Cassettes
import Dialects
import Foundation
import Testing

@Suite("JSONL, HAR and vcrpy formats")
struct FormatTests {
    /// An interaction with every awkward byte: CRLF, NUL, emoji, invalid UTF-8.
    static var awkward: Interaction {
        var interaction = Sample.openAIStream(id: "awkward")
        interaction.content = .frames([
            Frame(offsetMicros: 10, bytes: Array("data: {\"t\":\"crlf é 🎉\"}\r\n\r\n".utf8)),
            Frame(offsetMicros: 20, bytes: [0x64, 0x61, 0x74, 0x61, 0x3A, 0x20, 0xFF, 0xFE, 0x0A, 0x0A]),
            Frame(offsetMicros: 20, bytes: Array(": keep-alive\u{0}\r".utf8)),
        ])
        interaction.request.body = [0x7B, 0x00, 0xC3, 0x28, 0x7D]
        interaction.sessionID = "s \"quoted\""
        interaction.durationMicros = nil
        interaction.response?.offsetMicros = nil
        return interaction
    }

    @Test("a JSONL line reads back to the same interaction, whatever its bytes")
    func jsonlLineRoundTrip() throws {
        for original in [Sample.openAIStream(), Sample.anthropicStream(), Sample.rateLimited(), Sample.resetBeforeHeaders(), Self.awkward] {
            let line = JSONLFormat.line(for: original)
            #expect(!line.contains("\n"))
            #expect(try JSONLFormat.interaction(fromLine: line, file: "x.jsonl", line: 1) == original)
        }
        let line = JSONLFormat.line(for: Self.awkward)
        #expect(line.contains("\"base64\""))
        #expect(line.contains("crlf é 🎉"))
    }

    @Test("export, import, export of JSONL gives identical bytes")
    func jsonlExportImportExport() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let first = try CassetteStore(path: directory.path("a.sqlite"), mode: .createIfMissing)
        try first.insert([Sample.openAIStream(tags: ["t"]), Sample.anthropicStream(), Sample.rateLimited(), Self.awkward])
        var exported = Data()
        try CassetteExporter.writeJSONL(from: first) { exported.append($0) }
        let file = directory.path("export.jsonl")
        try exported.write(to: URL(fileURLWithPath: file))
        let second = try CassetteStore(path: directory.path("b.sqlite"), mode: .createIfMissing)
        let summary = try CassetteImporter.importFile(file, into: second)
        #expect(summary.read == 4 && summary.inserted == 4)
        var again = Data()
        try CassetteExporter.writeJSONL(from: second) { again.append($0) }
        #expect(again == exported)
    }

    @Test("the demo fixture imports and exports byte for byte")
    func demoFixture() throws {
        let fixture = Fixtures.url("cassettes/demo.jsonl").path
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let store = try CassetteStore(path: directory.path("demo.sqlite"), mode: .createIfMissing)
        let summary = try CassetteImporter.importFile(fixture, into: store)
        #expect(summary.inserted >= 5)
        let verification = try store.verify()
        #expect(verification.isValid, "\(verification.problems)")
        var exported = Data()
        try CassetteExporter.writeJSONL(from: store) { exported.append($0) }
        #expect(exported == (try Data(contentsOf: URL(fileURLWithPath: fixture))))
        let endings = Set(try store.summaries().map(\.ending))
        #expect(endings.contains(.complete) && endings.contains(.httpError))
    }

    @Test("a malformed JSONL line is reported with the file and line number")
    func jsonlErrors() throws {
        let good = JSONLFormat.line(for: Sample.rateLimited())
        let bad = good.replacingOccurrences(of: "\"ending\":\"http_error\"", with: "\"ending\":\"exploded\"")
        let data = Data((good + "\n\n" + bad + "\n").utf8)
        #expect(throws: CassetteError.importFailed(file: "f.jsonl", line: 3, reason: "ending \"exploded\" is unknown")) {
            try JSONLFormat.interactions(from: data, file: "f.jsonl")
        }
        #expect(throws: CassetteError.importFailed(file: "f.jsonl", line: 1, reason: "field \"id\" is missing or not a string")) {
            try JSONLFormat.interactions(from: Data("{}".utf8), file: "f.jsonl")
        }
    }

    @Test("a HAR export imports back to the same interactions")
    func harRoundTrip() throws {
        let originals = [Sample.openAIStream(tags: ["x"]), Sample.anthropicStream(), Sample.rateLimited(), Sample.resetBeforeHeaders(), Self.awkward]
        let data = try HARFormat.document(originals)
        let json = try JSONValue.parse(data)
        let entry = try #require(json["log"]?["entries"]?[0])
        #expect(json["log"]?["version"] == "1.2")
        #expect(entry["request"]?["url"] == "https://api.openai.com/v1/chat/completions")
        #expect(entry["response"]?["content"]?["text"]?.stringValue == String(decoding: originals[0].content.bytes, as: UTF8.self))
        #expect(entry["timings"]?["wait"]?.intValue == 290)
        let (imported, skipped) = try HARFormat.interactions(from: data, file: "x.har")
        #expect(skipped.isEmpty)
        #expect(imported == originals)
    }

    @Test("a HAR from a browser becomes interactions with frames, and other requests are skipped")
    func foreignHAR() throws {
        let stream = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {\"error\":{\"message\":\"overloaded\"}}\n\n"
        let har: JSONValue = ["log": ["version": "1.2", "creator": ["name": "Chrome", "version": "1"], "entries": [
            ["startedDateTime": "2025-06-01T10:00:00.000Z", "time": 1200,
             "request": ["method": "POST", "url": "https://openrouter.ai/api/v1/chat/completions",
                         "headers": [["name": "authorization", "value": "Bearer sk-or-v1-abcdefghijklmnopqrstuvwxyz"]],
                         "postData": ["mimeType": "application/json", "text": "{\"model\":\"openai/gpt-4o\",\"stream\":true,\"messages\":[]}"]],
             "response": ["status": 200, "headers": [["name": "content-type", "value": "text/event-stream"]],
                          "content": ["size": 10, "mimeType": "text/event-stream", "text": .string(stream)]],
             "timings": ["send": 1, "wait": 199, "receive": 1000]],
            ["startedDateTime": "2025-06-01T10:00:01Z", "time": 5,
             "request": ["method": "GET", "url": "https://openrouter.ai/logo.png", "headers": []],
             "response": ["status": 200, "headers": [], "content": ["size": 0, "mimeType": "image/png"]],
             "timings": ["send": 0, "wait": 5, "receive": 0]],
        ]]]
        let (imported, skipped) = try HARFormat.interactions(from: Data(JSONWriter.bytes(har)), file: "x.har")
        #expect(skipped.count == 1 && skipped[0].contains("logo.png"))
        let interaction = try #require(imported.first)
        #expect(interaction.dialect == .openAIChat)
        #expect(interaction.provider == "openrouter")
        #expect(interaction.model == "openai/gpt-4o")
        #expect(interaction.stream)
        #expect(interaction.content.frameCount == 2)
        #expect(interaction.content.bytes == Array(stream.utf8))
        #expect(interaction.ending == .inBandError)
        #expect(interaction.response?.offsetMicros == 200_000)
        #expect(interaction.durationMicros == 1_200_000)
    }

    @Test("a vcrpy cassette's SSE bodies become frames and its errors keep their status")
    func vcrImport() throws {
        let yaml = """
            interactions:
            - request:
                body: '{"messages":[{"content":"Hi","role":"user"}],"model":"gpt-4o-mini","stream":true}'
                headers:
                  Authorization:
                  - Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123
                  Content-Type:
                  - application/json
                method: POST
                uri: https://api.openai.com/v1/chat/completions
              response:
                body:
                  string: 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}


                    data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}


                    data: [DONE]


                    '
                headers:
                  Content-Type:
                  - text/event-stream; charset=utf-8
                status:
                  code: 200
                  message: OK
            - request:
                body: '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}'
                headers: {}
                method: POST
                uri: https://api.anthropic.com/v1/messages
              response:
                body:
                  string: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
                headers:
                  Content-Type:
                  - application/json
                status:
                  code: 529
                  message: ''
            - request:
                body: null
                headers: {}
                method: GET
                uri: https://example.com/health
              response:
                body:
                  string: ok
                headers: {}
                status:
                  code: 200
                  message: OK
            version: 1
            """
        let (imported, skipped) = try VCRFormat.interactions(from: yaml, file: "c.yaml", options: ImportOptions(now: Sample.start))
        #expect(skipped.count == 1)
        #expect(imported.count == 2)
        let stream = imported[0]
        #expect(stream.dialect == .openAIChat && stream.provider == "openai" && stream.model == "gpt-4o-mini" && stream.stream)
        #expect(stream.content.frameCount == 3)
        #expect(stream.ending == .complete)
        #expect(String(decoding: stream.content.bytes, as: UTF8.self).hasSuffix("data: [DONE]\n\n"))
        #expect(stream.request.headers.map(\.name) == ["Authorization", "Content-Type"])
        let error = imported[1]
        #expect(error.status == 529 && error.ending == .httpError && !error.stream && error.provider == "anthropic")
        let again = try VCRFormat.interactions(from: yaml, file: "c.yaml", options: ImportOptions(now: Sample.start)).interactions
        #expect(again.map(\.id) == imported.map(\.id))
    }

    @Test("a vcrpy body stored gzip-compressed is decompressed and its encoding header dropped")
    func vcrGzip() throws {
        let directory = try ScratchDirectory("cassettes")
        defer { directory.remove() }
        let body = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[]}"
        let file = directory.path("body.json")
        try Data(body.utf8).write(to: URL(fileURLWithPath: file))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-9", file]
        try process.run()
        process.waitUntilExit()
        let encoded = try Data(contentsOf: URL(fileURLWithPath: file + ".gz")).base64EncodedString()
        let yaml = """
            interactions:
            - request:
                body: '{"model":"gpt-4o","messages":[]}'
                headers: {}
                method: POST
                uri: https://api.openai.com/v1/chat/completions
              response:
                body:
                  string: !!binary |
                    \(encoded)
                headers:
                  Content-Encoding:
                  - gzip
                  Content-Length:
                  - '99'
                  Content-Type:
                  - application/json
                status:
                  code: 200
                  message: OK
            version: 1
            """
        let imported = try VCRFormat.interactions(from: yaml, file: "c.yaml").interactions
        let interaction = try #require(imported.first)
        #expect(interaction.content == .body(Array(body.utf8)))
        #expect(interaction.response?.headers.map(\.name) == ["Content-Type"])
    }

    @Test("an unknown extension is refused with a sentence naming the file")
    func unknownExtension() {
        #expect(throws: CassetteError.unknownImportFormat(file: "x.txt")) { try CassetteImporter.read(file: "x.txt") }
        #expect(CassetteError.unknownImportFormat(file: "x.txt").description.hasPrefix("x.txt:"))
    }
}
