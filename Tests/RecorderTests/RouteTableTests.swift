import Recorder
import Testing

@Suite("Upstream routes")
struct RouteTableTests {
    @Test("NAME=URL sends /NAME/... to URL/... and a bare URL takes every other path")
    func prefixesAndBare() throws {
        let table = try RouteTable([
            UpstreamRoute(parsing: "openai=https://api.openai.com"),
            UpstreamRoute(parsing: "anthropic=https://api.anthropic.com:8443/base/"),
            UpstreamRoute(parsing: "http://127.0.0.1:9000"),
        ])
        let openai = try #require(table.resolve("/openai/v1/chat/completions"))
        #expect(openai.url == "https://api.openai.com/v1/chat/completions")
        #expect(openai.route.provider == "openai")
        let anthropic = try #require(table.resolve("/anthropic/v1/messages?beta=true"))
        #expect(anthropic.url == "https://api.anthropic.com:8443/base/v1/messages?beta=true")
        #expect(anthropic.target == "/base/v1/messages?beta=true")
        #expect(anthropic.path == "/base/v1/messages")
        let bare = try #require(table.resolve("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"))
        #expect(bare.url == "http://127.0.0.1:9000/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        // A prefix only counts as a whole path segment.
        #expect(table.resolve("/openaiX/v1/chat")?.route.name == nil)
    }

    @Test("without a bare upstream, unprefixed paths have no route")
    func noBare() throws {
        let table = try RouteTable([UpstreamRoute(parsing: "openai=http://127.0.0.1:1")])
        #expect(table.resolve("/v1/chat/completions") == nil)
        #expect(table.resolve("/openai")?.target == "/")
    }

    @Test("bad upstream specs are refused with a sentence naming them", arguments: [
        "ftp://example.com", "openai=notaurl", "http://", "http://example.com/?x=1", "bad name=http://x",
    ])
    func invalid(spec: String) {
        #expect(throws: RecorderError.self) { try UpstreamRoute(parsing: spec) }
    }

    @Test("two bare upstreams or a repeated name are refused")
    func duplicates() throws {
        let a = try UpstreamRoute(parsing: "http://a.example")
        let b = try UpstreamRoute(parsing: "http://b.example")
        #expect(throws: RecorderError.duplicateUpstream(prefix: "")) { try RouteTable([a, b]) }
        let x = try UpstreamRoute(parsing: "x=http://a.example")
        #expect(throws: RecorderError.duplicateUpstream(prefix: "x")) { try RouteTable([x, x]) }
        #expect(throws: RecorderError.noUpstream) { try RouteTable([]) }
    }

    @Test("the Host header omits the scheme's default port")
    func hostHeader() throws {
        #expect(try UpstreamRoute(parsing: "https://api.openai.com").hostHeader == "api.openai.com")
        #expect(try UpstreamRoute(parsing: "http://127.0.0.1:8080").hostHeader == "127.0.0.1:8080")
    }
}
