@testable import Cassettes
import Dialects
import Foundation
import GRDB
import Logging
import Testing

@Suite("No secret reaches a cassette, an export or a log line")
struct RedactionLeakTests {
    static let secrets = [
        "sk-proj-FAKE0redaction0test0key00000001",  // authorization header
        "sk-ant-api03-FAKE0redaction0test0key0000002",  // x-api-key header, and inside a message
        "AIzaFAKE0redaction0test0key000000000003",  // query parameter key=
        "corp-internal-token-4471",  // a configured JSON path; no known shape
        "sessionid=8c1f0a77e2",  // cookie
        "sk-svcacct-Mx1Nz2Oa3Pb4Qc5Rd6Se7Tf8Ug9Vh0",  // echoed in a response frame
    ]

    static func secretInteraction(id: String) -> Interaction {
        var interaction = Sample.openAIStream(id: id)
        interaction.request.target = "/v1/chat/completions?key=\(secrets[2])&alt=sse"
        interaction.request.headers = [
            HTTPField("content-type", "application/json"),
            HTTPField("Authorization", "Bearer \(secrets[0])"),
            HTTPField("x-api-key", secrets[1]),
            HTTPField("cookie", secrets[4]),
        ]
        interaction.request.body = Array("""
            {"model":"gpt-4o-mini","metadata":{"internal_token":"\(secrets[3])"},"messages":[{"role":"user","content":"my key is \(secrets[1]), keep it safe"}],"stream":true}
            """.utf8)
        interaction.response?.headers.append(HTTPField("set-cookie", secrets[4]))
        if case .frames(var frames) = interaction.content {
            frames.insert(Frame(offsetMicros: 300_000, bytes: Array("data: {\"error\":{\"message\":\"Incorrect API key provided: \(secrets[5])\"}}\n\n".utf8)), at: 1)
            interaction.content = .frames(frames)
        }
        return interaction
    }

    /// Every place a secret could end up: the database and WAL files, every blob decompressed,
    /// the JSONL and HAR exports, and the log.
    static func leaks(redactor: Redactor, unredactedOnPurpose: Bool = false) async throws -> [String] {
        let directory = try ScratchDirectory("cassettes-redaction", purpose: unredactedOnPurpose ? .secretsOnPurpose : .artifacts)
        defer { directory.remove() }
        let path = directory.path("c.sqlite")
        let log = CapturedLog()
        let store = try CassetteStore(path: path, mode: .createIfMissing, logger: log.logger)
        let failures = FailureLog()
        let writer = CassetteWriter(store: store, redactor: redactor, logger: log.logger, onError: failures.record)
        for index in 0..<3 { writer.enqueue(secretInteraction(id: "s\(index)")) }
        await writer.flush()
        // A failure path too: a write refused by a read-only store logs an error.
        let readOnly = try CassetteStore(path: path, mode: .readOnly, logger: log.logger)
        let failing = CassetteWriter(store: readOnly, redactor: redactor, logger: log.logger, onError: failures.record)
        failing.enqueue(secretInteraction(id: "s-fail"))
        await failing.flush()
        #expect(try store.stats().interactions == 3)

        var places: [(String, [UInt8])] = []
        for file in [path, path + "-wal"] {
            if let data = FileManager.default.contents(atPath: file) { places.append((file, Array(data))) }
        }
        let blobs = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT request_body, response_blob, request_headers, response_headers, request_target FROM interaction")
        }
        for row in blobs {
            for column in 0..<2 {
                let blob: Data = row[column]
                places.append(("blob", try BlobCodec.decompress(Array(blob), expectedSize: nil)))
            }
            for column in 2..<5 {
                let text: String? = row[column]
                places.append(("column", Array((text ?? "").utf8)))
            }
        }
        var jsonl = Data()
        try CassetteExporter.writeJSONL(from: store) { jsonl.append($0) }
        places.append(("jsonl", Array(jsonl)))
        places.append(("har", Array(try CassetteExporter.har(from: store))))
        places.append(("log", Array(log.text.utf8)))
        try store.checkpoint()
        places.append(("checkpointed file", Array(FileManager.default.contents(atPath: path) ?? Data())))
        #expect(failures.all.count == 1)

        var found: [String] = []
        for (place, bytes) in places {
            for secret in secrets where contains(bytes, Array(secret.utf8)) {
                found.append("\(secret) in \(place)")
            }
        }
        return found
    }

    @Test("with the standard redactor no secret is found anywhere")
    func nothingLeaks() async throws {
        let redactor = Redactor(bodyPaths: ["metadata.internal_token"])
        let leaks = try await Self.leaks(redactor: redactor)
        #expect(leaks.isEmpty, "\(leaks)")
    }

    @Test("with redaction disabled the same scan finds the secrets (so the scan can fail)")
    func scanDetectsLeaks() async throws {
        let leaks = try await Self.leaks(redactor: .disabled, unredactedOnPurpose: true)
        for secret in Self.secrets {
            #expect(leaks.contains { $0.hasPrefix(secret + " in ") }, "\(secret) not found")
        }
        #expect(leaks.contains { $0.hasSuffix(" in blob") })
        #expect(leaks.contains { $0.hasSuffix(" in jsonl") })
        #expect(leaks.contains { $0.hasSuffix(" in har") })
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
