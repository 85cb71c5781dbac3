import Cassettes
import Dialects
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Recorder
import Testing

@Suite("Redaction")
struct RedactionTests {
    static let secrets = [
        "sk-proj-FAKE0redaction0test0key00000001",  // authorization header
        "sk-ant-api03-FAKE0redaction0test0key0000002",  // x-api-key header, and inside the body
        "AIzaFAKE0redaction0test0key000000000003",  // query parameter key=
        "corp-internal-token-4471",  // a configured JSON path; no known shape
        "sessionid=8c1f0a77e2",  // cookie, and set-cookie in the response
        "sk-svcacct-Mx1Nz2Oa3Pb4Qc5Rd6Se7Tf8Ug9Vh0",  // echoed by the upstream in a frame
    ]

    /// Runs one request full of secrets through a recorder and returns where secrets were found,
    /// scanning the cassette file and its WAL while the recorder runs, the file after shutdown,
    /// every stored interaction decoded, and the log.
    static func leaks(redactor: Redactor, unredactedOnPurpose: Bool = false) async throws -> [String] {
        let log = CapturedLog()
        let harness = try await RecorderHarness(
            redactor: redactor, holdsSecretsOnPurpose: unredactedOnPurpose, logger: log.logger
        ) { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream"), ("set-cookie", secrets[4])])
            try await responder.send("data: {\"error\":{\"message\":\"Incorrect API key provided: \(secrets[5])\"}}\n\n")
            try await responder.end()
        }
        defer { harness.remove() }
        let body = #"{"model":"gpt-4o","metadata":{"internal_token":"\#(secrets[3])"},"messages":[{"role":"user","content":"my key is \#(secrets[1])"}],"stream":true}"#
        let result = try await harness.send(
            "/v1/chat/completions?key=\(secrets[2])&alt=sse", body: body,
            headers: [
                ("content-type", "application/json"), ("Authorization", "Bearer \(secrets[0])"), ("x-api-key", secrets[1]),
                ("cookie", secrets[4]),
            ])
        #expect(result.status == 200)
        // Traffic is untouched: the upstream got every secret.
        let received = try #require(harness.upstream.requests.first)
        #expect(received.head.headers.first(name: "authorization") == "Bearer \(secrets[0])")
        #expect(received.head.uri.contains(secrets[2]))
        #expect(received.text == body)

        var places: [(String, [UInt8])] = []
        // While running: wait until the interaction is committed, then read the file and the WAL.
        try await within(10, "the interaction in the cassette") {
            while true {
                if let store = try? CassetteStore(path: harness.cassettePath, mode: .readOnly),
                    (try? store.stats().interactions) == 1
                {
                    try? store.close()
                    return
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        for file in [harness.cassettePath, harness.cassettePath + "-wal"] {
            if let data = FileManager.default.contents(atPath: file) { places.append((file, Array(data))) }
        }
        let recorded = try await harness.finish()
        #expect(recorded.count == 1)
        if let data = FileManager.default.contents(atPath: harness.cassettePath) {
            places.append(("checkpointed file", Array(data)))
        }
        for interaction in recorded {
            places.append(("decoded interaction", Array(JSONLFormat.line(for: interaction).utf8)))
            places.append(("decoded frames", interaction.content.bytes))
            places.append(("decoded request body", interaction.request.body))
        }
        places.append(("log", Array(log.text.utf8)))

        var found: [String] = []
        for (place, bytes) in places {
            for secret in secrets where contains(bytes, Array(secret.utf8)) { found.append("\(secret) in \(place)") }
        }
        return found
    }

    @Test("no secret from headers, query, body or response reaches the cassette, its WAL or the log")
    func nothingLeaks() async throws {
        let leaks = try await Self.leaks(redactor: Redactor(bodyPaths: ["metadata.internal_token"]))
        #expect(leaks.isEmpty, "\(leaks)")
    }

    @Test("with redaction disabled the same scan finds every secret (so the scan can fail)")
    func scanFindsLeaks() async throws {
        let leaks = try await Self.leaks(redactor: .disabled, unredactedOnPurpose: true)
        for secret in Self.secrets {
            #expect(leaks.contains { $0.hasPrefix(secret + " in ") }, "\(secret) not found")
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
