import Foundation
import Testing

/// Malformed HTTP sent on a raw socket to each server `tapedeck` runs: the client gets a 4xx
/// (with an error body saying what was wrong where the server can parse enough to answer), and
/// the server keeps serving the next request.
@Suite("Malformed HTTP to tapedeck's servers", .serialized)
struct MalformedHTTPTests {
    /// One malformed request and what each server answers it with.
    struct Probe: Sendable, CustomTestStringConvertible {
        var name: String
        var request: String
        /// Close the sending side after the request (a body shorter than its Content-Length).
        var halfClose = false
        /// The expected status line start and body part per server; nil status: any 4xx or no answer.
        var serve: (status: String?, body: String)
        var route: (status: String?, body: String)
        var record: (status: String?, body: String)
        var testDescription: String { name }

        func expectation(for server: Server) -> (status: String?, body: String) {
            switch server {
            case .serve: serve
            case .route: route
            case .record: record
            }
        }
    }

    enum Server: String, CaseIterable, Sendable { case serve, route, record }

    static let chatBody = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#

    static func post(_ path: String, body: String, headers: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(headers)Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }

    static let probes: [Probe] = [
        Probe(name: "garbage request line", request: "HELLO\r\n\r\n",
              serve: ("HTTP/1.1 400", "tapedeck: the request line has no valid HTTP method"),
              route: ("HTTP/1.1 400", "tapedeck: the request line has no valid HTTP method"),
              record: ("HTTP/1.1 400", "tapedeck: the request line has no valid HTTP method")),
        Probe(name: "invalid JSON body", request: post("/v1/chat/completions", body: "{nope"),
              serve: ("HTTP/1.1 400", "tapedeck: the request body is not valid JSON (invalid JSON: expected a member name at byte 1)"),
              route: ("HTTP/1.1 400", "JSON"),
              record: ("HTTP/1.1 400", "tapedeck: the request body is not valid JSON")),
        Probe(name: "body shorter than Content-Length, then close",
              request: "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"model\":",
              halfClose: true, serve: (nil, ""), route: ("HTTP/1.1 400", "tapedeck: the request ended before its body was complete"),
              record: (nil, "")),
        Probe(name: "oversized headers (100 kB)",
              request: "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\nConnection: close\r\n\r\n",
              serve: ("HTTP/1.1 431", "tapedeck: the request headers are too large"),
              route: ("HTTP/1.1 431", "tapedeck: the request headers are too large"),
              record: ("HTTP/1.1 431", "tapedeck: the request headers are too large")),
        Probe(name: "unknown path", request: post("/v2/nothing", body: "{}"),
              serve: ("HTTP/1.1 404", "tapedeck replay: no provider endpoint at POST /v2/nothing"),
              route: ("HTTP/1.1 404", #"tapedeck route: no endpoint at POST \/v2\/nothing; it serves POST \/v1\/chat\/completions"#),
              record: ("HTTP/1.1 404", "tapedeck replay: no provider endpoint at POST /v2/nothing")),
        Probe(name: "x-tapedeck-fault header with a misspelt kind",
              request: post("/v1/chat/completions", body: chatBody, headers: "x-tapedeck-fault: cutt:after=1\r\n"),
              serve: ("HTTP/1.1 400", "tapedeck: x-tapedeck-fault header: fault spec 'cutt:after=1': unknown kind 'cutt'"),
              route: ("HTTP/1.1 400", "x-tapedeck-fault header: fault spec 'cutt:after=1': unknown kind 'cutt'"),
              record: ("HTTP/1.1 400", "tapedeck: x-tapedeck-fault header: fault spec 'cutt:after=1': unknown kind 'cutt'")),
        Probe(name: "x-tapedeck-fault header with retry_after at Int.max",
              request: post("/v1/chat/completions", body: chatBody,
                            headers: "x-tapedeck-fault: http_error:status=429,retry_after=9223372036854775807\r\n"),
              serve: ("HTTP/1.1 429", "rate_limit"), route: ("HTTP/1.1 429", "rate"), record: ("HTTP/1.1 429", "rate_limit")),
    ]

    @Test("every malformed request gets its 4xx and the server answers the next request", arguments: Server.allCases)
    func malformed(_ server: Server) throws {
        let replay = try ServerProcess(["serve", "--cassette", "fixtures/cassettes/demo.jsonl", "--listen", "127.0.0.1:0"])
        defer { _ = replay.stop() }
        let replayPort = try #require(replay.port(), "serve never said where it listens: \(replay.stderr)")
        let scratch = try ScratchDirectory("malformed-http")
        defer { scratch.remove() }
        let folder = scratch.url

        let front: ServerProcess
        let healthy: String
        switch server {
        case .serve:
            front = replay
            healthy = "GET /_tapedeck/attempts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        case .route:
            let config = folder.appendingPathComponent("config.yaml")
            try "model_list:\n  - model_name: gpt-4o-mini\n    litellm_params: {model: openai/gpt-4o-mini, api_base: \"http://127.0.0.1:\(replayPort)/v1\"}\n"
                .write(to: config, atomically: true, encoding: .utf8)
            front = try ServerProcess(["route", "--config", config.path, "--listen", "127.0.0.1:0"])
            healthy = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        case .record:
            front = try ServerProcess([
                "record", "--cassette", folder.appendingPathComponent("r.sqlite").path,
                "--upstream", "http://127.0.0.1:\(replayPort)", "--listen", "127.0.0.1:0",
            ])
            healthy = "GET /_tapedeck/attempts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        }
        defer { if server != .serve { _ = front.stop() } }
        let port = try #require(server == .serve ? replayPort : front.port(), "\(server) never said where it listens: \(front.stderr)")

        for probe in Self.probes {
            let answer = try RawHTTP.exchange(port: port, request: probe.request, halfClose: probe.halfClose)
            let expected = probe.expectation(for: server)
            if let status = expected.status {
                #expect(answer.hasPrefix(status), "\(server), \(probe.name): \(answer.prefix(600))")
            } else {
                #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 4"), "\(server), \(probe.name): \(answer.prefix(600))")
            }
            #expect(expected.body.isEmpty || answer.contains(expected.body), "\(server), \(probe.name): \(answer.prefix(600))")
            let next = try RawHTTP.exchange(port: port, request: healthy)
            #expect(next.hasPrefix("HTTP/1.1 200"), "\(server) after \(probe.name): \(next.prefix(300))")
        }
        #expect(front.isRunning, "\(server) exited: \(front.stderr)")
    }
}
