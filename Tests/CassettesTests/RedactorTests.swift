import Cassettes
import Dialects
import Foundation
import Testing

@Suite("Redaction")
struct RedactorTests {
    @Test("secret header values are replaced and their names kept")
    func headers() {
        let headers = [
            HTTPField("Authorization", "Bearer sk-proj-abcdefghijklmnopqrstuvwxyz012345"),
            HTTPField("x-api-key", "anything at all"),
            HTTPField("x-goog-api-key", "AIzaSyA-1234567890abcdefghijklmnopqrstu"),
            HTTPField("Cookie", "session=abc"),
            HTTPField("x-portkey-api-key", "pk-123"),
            HTTPField("content-type", "application/json"),
            HTTPField("x-note", "key is sk-ant-api03-abcdefghijklmnopqrstuvwxyz here"),
        ]
        let redacted = Redactor.standard.redact(headers: headers)
        #expect(redacted.map(\.name) == headers.map(\.name))
        #expect(redacted[0].value == Redactor.marker)
        #expect(redacted[1].value == Redactor.marker)
        #expect(redacted[2].value == Redactor.marker)
        #expect(redacted[3].value == Redactor.marker)
        #expect(redacted[4].value == Redactor.marker)
        #expect(redacted[5].value == "application/json")
        #expect(redacted[6].value == "key is sk-ant-[REDACTED] here")
    }

    @Test("key-like query parameters lose their values, others stay")
    func query() {
        let target = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIzaSyA-1234567890abcdefghijklmnopqrstu&API_KEY=x"
        #expect(Redactor.standard.redact(target: target)
            == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=REDACTED&API_KEY=REDACTED")
        #expect(Redactor.standard.redact(target: "/v1/chat/completions") == "/v1/chat/completions")
    }

    @Test("configured JSON paths are replaced; untouched bodies keep their exact bytes")
    func bodyPaths() throws {
        let redactor = Redactor(bodyPaths: ["metadata.internal_token", "messages.*.name"])
        let body = Array(#"{"model":"m","metadata":{"internal_token":"t-1","trace":"x"},"messages":[{"role":"user","name":"alice","content":"hi"}]}"#.utf8)
        let redacted = try JSONValue.parse(redactor.redact(requestBody: body))
        #expect(redacted["metadata"]?["internal_token"] == .string(Redactor.marker))
        #expect(redacted["metadata"]?["trace"] == "x")
        #expect(redacted["messages"]?[0]?["name"] == .string(Redactor.marker))
        #expect(redacted["messages"]?[0]?["content"] == "hi")
        let untouched = Array("{ \"model\" : \"m\" }".utf8)
        #expect(redactor.redact(requestBody: untouched) == untouched)
    }

    @Test("key shapes are masked wherever they appear, keeping the kind of key")
    func secretShapes() {
        let cases: [(String, String)] = [
            ("use sk-abcdefghijklmnopqrstuvwx now", "use sk-[REDACTED] now"),
            ("\"sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA_BBBB-CC\"", "\"sk-ant-[REDACTED]\""),
            ("key=AIzaSyA-1234567890abcdefghijklmnopqrstu&", "key=AIza[REDACTED]&"),
            ("Authorization: bearer  eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "Authorization: Bearer [REDACTED]"),
            ("AKIAIOSFODNN7EXAMPLE", "AKIA[REDACTED]"),
        ]
        for (input, expected) in cases {
            #expect(SecretScanner.mask(input) == expected, "\(input)")
        }
    }

    @Test("ordinary words and short tokens are left alone")
    func noFalsePositives() {
        for text in ["risk-assessment-framework-version-two", "task-1", "sk-short", "Bearer of bad news", "AIza short",
                     "desk-lamp-with-extra-long-description"] {
            #expect(SecretScanner.mask(text) == text, "\(text)")
        }
    }

    @Test("masking is idempotent")
    func idempotent() {
        let once = SecretScanner.mask("a sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA and Bearer abcdefghijklmnop")
        #expect(SecretScanner.mask(once) == once)
    }
}
