import AsyncHTTPClient
import Dialects
import Faults
import Foundation
import Logging
import NIOCore
import SSE
import Testing

@testable import Replay

/// A replay server on a loopback port with the analyze demo cassette.
struct LiveReplay {
    let service: ReplayService
    let server: ReplayServer
    static let library = try! RecordingLibrary.load(path: Fixtures.url("cassettes/analyze-demo.jsonl").path)

    static func start(faults: FaultBook = FaultBook()) async throws -> LiveReplay {
        let service = ReplayService(library: library, faults: faults, pacing: .none, logger: Logger(label: "test"))
        let server = try await ReplayServer.start(configuration: .init(host: "127.0.0.1", port: 0), responder: service, logger: Logger(label: "test"))
        return LiveReplay(service: service, server: server)
    }

    var base: String { "http://127.0.0.1:\(server.port)" }

    /// The response as a client saw it: status, headers, bytes, and the error that ended it, if any.
    struct Reply {
        var status: Int?
        var headers: [HTTPField] = []
        var bytes: [UInt8] = []
        var error: String?
        var elapsed: Duration = .zero
    }

    func post(_ path: String, _ body: JSONValue, headers: [(String, String)] = []) async -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        var reply = Reply()
        let start = ContinuousClock.now
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            reply.status = Int(response.status.code)
            reply.headers = response.headers.map { HTTPField($0.name.lowercased(), $0.value) }
            for try await buffer in response.body { reply.bytes += Array(buffer.readableBytesView) }
        } catch {
            reply.error = "\(error)"
        }
        reply.elapsed = ContinuousClock.now - start
        return reply
    }

    /// The ledger once every entry has ended.
    func settledLedger() async -> [LedgerEntry] {
        for _ in 0..<200 {
            let entries = await service.ledger.all()
            if !entries.isEmpty && entries.allSatisfy({ $0.ending != nil }) { return entries }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await service.ledger.all()
    }

    func stop() async { await server.stop() }

    static let messages: JSONValue = [
        ["role": "system", "content": "You are a concise assistant."],
        ["role": "user", "content": "What is the capital of France? Answer in two sentences."],
    ]
    static let gpt4oAnswer = "The capital of France is Paris. It is also the country's largest city and its political, economic and cultural centre."

    static func chat(stream: Bool, model: String = "gpt-4o", extraMessages: [JSONValue] = []) -> JSONValue {
        ["model": .string(model), "messages": .array(messages.arrayValue! + extraMessages), "stream": .bool(stream)]
    }
}

@Suite("Replay service over loopback", .serialized)
struct ReplayServiceLoopbackTests {
    /// A fault, the mode, and what the client and the ledger must show.
    struct WireCase: Sendable, CustomTestStringConvertible {
        var spec: String
        var stream: Bool
        var ending: Ending
        var status: Int?
        var errorKind: ErrorKind?
        /// The client's outcome: nil when the transfer itself must fail.
        var clientTerminated: Bool?
        var minimumElapsed: Duration = .zero
        var testDescription: String { "\(spec) (\(stream ? "stream" : "non-stream"))" }
    }

    static let cases: [WireCase] = [
        WireCase(spec: "ok", stream: true, ending: .complete, status: 200, clientTerminated: true),
        WireCase(spec: "ok", stream: false, ending: .complete, status: 200, clientTerminated: true),
        WireCase(spec: "http_error:status=429,retry_after=2", stream: true, ending: .httpError, status: 429, errorKind: .rateLimit, clientTerminated: false),
        WireCase(spec: "http_error:status=429,retry_after=2", stream: false, ending: .httpError, status: 429, errorKind: .rateLimit, clientTerminated: false),
        WireCase(spec: "reset_before_headers", stream: true, ending: .reset, clientTerminated: nil),
        WireCase(spec: "reset_before_headers", stream: false, ending: .reset, clientTerminated: nil),
        WireCase(spec: "no_response:seconds=0.2", stream: true, ending: .truncated, clientTerminated: nil, minimumElapsed: .milliseconds(200)),
        WireCase(spec: "slow_first_byte:seconds=0.2", stream: true, ending: .complete, status: 200, clientTerminated: true, minimumElapsed: .milliseconds(200)),
        WireCase(spec: "slow_first_byte:seconds=0.2", stream: false, ending: .complete, status: 200, clientTerminated: true, minimumElapsed: .milliseconds(200)),
        WireCase(spec: "error_event:kind=overloaded,after=2", stream: true, ending: .inBandError, status: 200, errorKind: .overloaded, clientTerminated: false),
        WireCase(spec: "error_event:kind=overloaded,after=2", stream: false, ending: .httpError, status: 503, errorKind: .overloaded, clientTerminated: false),
        WireCase(spec: "cut:after=2", stream: true, ending: .truncated, status: 200, clientTerminated: nil),
        WireCase(spec: "cut:after=2", stream: false, ending: .truncated, status: 200, clientTerminated: nil),
        WireCase(spec: "reset:after=2", stream: true, ending: .reset, status: 200, clientTerminated: nil),
        WireCase(spec: "reset:after=2", stream: false, ending: .reset, status: 200, clientTerminated: nil),
        WireCase(spec: "stall:after=2,seconds=0.3", stream: true, ending: .complete, status: 200, clientTerminated: true, minimumElapsed: .milliseconds(300)),
        WireCase(spec: "stall:after=2,seconds=0.3", stream: false, ending: .complete, status: 200, clientTerminated: true, minimumElapsed: .milliseconds(300)),
        WireCase(spec: "malformed:at=2", stream: true, ending: .inBandError, status: 200, errorKind: .malformed, clientTerminated: false),
        WireCase(spec: "malformed:at=2", stream: false, ending: .inBandError, status: 200, errorKind: .malformed, clientTerminated: false),
        WireCase(spec: "drop_terminator", stream: true, ending: .truncated, status: 200, clientTerminated: false),
        WireCase(spec: "drop_terminator", stream: false, ending: .complete, status: 200, clientTerminated: true),
        WireCase(spec: "slow_drip:ms=20", stream: true, ending: .complete, status: 200, clientTerminated: true, minimumElapsed: .milliseconds(20 * 24)),
    ]

    @Test("every fault behaves at the wire as specified, and the ledger records it", arguments: cases)
    func faultAtTheWire(_ wire: WireCase) async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        let reply = await live.post("/openai/v1/chat/completions", LiveReplay.chat(stream: wire.stream),
                                    headers: [("x-tapedeck-fault", wire.spec)])
        // Event-loop timers may fire a fraction of a millisecond early (the kernel's timer
        // granularity): 5 % of slack still tells a delayed answer from a prompt one.
        #expect(reply.elapsed >= wire.minimumElapsed * 0.95)
        if let terminated = wire.clientTerminated {
            #expect(reply.error == nil, "\(reply.error ?? "")")
            #expect(reply.status == wire.status)
            let codec = Dialect.openAIChat.codec
            let outcome = wire.stream && reply.status == 200
                ? codec.outcome(fromFrames: SSEParser.parse(reply.bytes)) : codec.outcome(fromBody: reply.bytes, status: reply.status)
            #expect(outcome.terminated == terminated)
            #expect(outcome.error?.kind == wire.errorKind)
            if terminated { #expect(outcome.text == LiveReplay.gpt4oAnswer) }
        } else {
            #expect(reply.error != nil, "the transfer must fail, got status \(reply.status.map(String.init) ?? "none")")
        }
        let entry = try #require(await live.settledLedger().first)
        #expect(entry.ending == wire.ending)
        #expect(entry.fault == (wire.spec == "ok" ? nil : wire.spec))
        #expect(entry.errorKind == wire.errorKind)
        #expect(entry.stream == wire.stream)
        #expect(entry.model == "gpt-4o")
    }

    @Test("a reset reaches the client as a connection reset")
    func resetIsReset() async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        let reply = await live.post("/v1/chat/completions", LiveReplay.chat(stream: true), headers: [("x-tapedeck-fault", "reset:after=1")])
        let error = try #require(reply.error)
        #expect(error.contains("reset") || error.contains("ECONNRESET") || error.contains("104"), "\(error)")
    }

    @Test("a retry_after fault sends the retry-after header")
    func retryAfterHeader() async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        let reply = await live.post("/v1/chat/completions", LiveReplay.chat(stream: false), headers: [("x-tapedeck-fault", "http_error:status=429,retry_after=2")])
        #expect(reply.headers.contains(HTTPField("retry-after", "2")))
    }

    @Test("a per-attempt schedule fails the first attempt only")
    func perAttemptSchedule() async throws {
        let book = FaultBook(rules: ["gpt-4o": .perAttempt([try FaultCatalogue.parse("cut:after=2"), NoFault()])])
        let live = try await LiveReplay.start(faults: book)
        defer { Task { await live.stop() } }
        _ = await live.post("/v1/chat/completions", LiveReplay.chat(stream: true))
        _ = await live.post("/v1/chat/completions", LiveReplay.chat(stream: true))
        _ = await live.post("/v1/chat/completions", LiveReplay.chat(stream: true))
        #expect(await live.settledLedger().map(\.ending) == [.truncated, .complete, .complete])
        await live.service.resetAttempts()
        _ = await live.post("/v1/chat/completions", LiveReplay.chat(stream: false))
        #expect(await live.settledLedger().map(\.ending) == [.truncated], "a reset restarts the schedule")
    }

    @Test("seeded probabilistic faults repeat for a seed and differ for another")
    func seededProbability() async throws {
        func endings(seed: UInt64) async throws -> [Ending?] {
            let book = FaultBook(seed: seed, rules: ["gpt-4o": .probability(0.5, try FaultCatalogue.parse("http_error:status=500"))])
            let live = try await LiveReplay.start(faults: book)
            defer { Task { await live.stop() } }
            for _ in 0..<12 { _ = await live.post("/v1/chat/completions", LiveReplay.chat(stream: false)) }
            return await live.settledLedger().map(\.ending)
        }
        let first = try await endings(seed: 7)
        #expect(try await endings(seed: 7) == first)
        #expect(try await endings(seed: 8) != first)
        #expect(first.contains(.httpError) && first.contains(.complete))
    }

    @Test("a fault header scoped to another model leaves this one alone")
    func scopedHeader() async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        _ = await live.post("/v1/chat/completions", LiveReplay.chat(stream: true), headers: [("x-tapedeck-fault", "gemini-2.5-flash=cut:after=1;gpt-4o=http_error:status=500")])
        _ = await live.post("/v1/chat/completions", LiveReplay.chat(stream: true), headers: [("x-tapedeck-fault", "gemini-2.5-flash=cut:after=1")])
        #expect(await live.settledLedger().map(\.ending) == [.httpError, .complete])
    }

    @Test("a Gemini client asking for the recorded gpt-4o conversation gets its text, in both modes")
    func crossDialect() async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        let body: JSONValue = [
            "systemInstruction": ["parts": [["text": "You are a concise assistant."]]],
            "contents": [["role": "user", "parts": [["text": "What is the capital of France? Answer in two sentences."]]]],
        ]
        let stream = await live.post("/gemini/v1beta/models/gpt-4o:streamGenerateContent?alt=sse", body)
        let whole = await live.post("/gemini/v1beta/models/gpt-4o:generateContent", body)
        let codec = Dialect.gemini.codec
        #expect(codec.outcome(fromFrames: SSEParser.parse(stream.bytes)).text == LiveReplay.gpt4oAnswer)
        #expect(codec.outcome(fromBody: whole.bytes, status: whole.status).text == LiveReplay.gpt4oAnswer)
        #expect(await live.settledLedger().map(\.match) == [.loose, .loose])
    }

    @Test("a continuation gets the rest of the recorded answer and is recorded in the ledger")
    func continuation() async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        let reply = await live.post("/v1/chat/completions", LiveReplay.chat(stream: true, extraMessages: [
            ["role": "assistant", "content": "The capital of France is Paris."],
            ["role": "user", "content": .string(continuationInstruction)],
        ]))
        #expect(Dialect.openAIChat.codec.outcome(fromFrames: SSEParser.parse(reply.bytes)).text
                == " It is also the country's largest city and its political, economic and cultural centre.")
        let entry = try #require(await live.settledLedger().first)
        #expect(entry.continuation == DetectedContinuation(style: .userMessage, text: "The capital of France is Paris."))
    }

    @Test("a model that rejects prefill answers a prefill with the provider's 400")
    func rejectsPrefill() async throws {
        let book = FaultBook(capabilities: ["claude-sonnet-4-6": ModelCapabilities([.rejectsPrefill])])
        let live = try await LiveReplay.start(faults: book)
        defer { Task { await live.stop() } }
        let body: JSONValue = [
            "model": "claude-sonnet-4-6", "max_tokens": 100, "system": "You are a concise assistant.", "stream": true,
            "messages": [["role": "user", "content": "What is the capital of France? Answer in two sentences."], ["role": "assistant", "content": "Paris"]],
        ]
        let reply = await live.post("/anthropic/v1/messages", body)
        #expect(reply.status == 400)
        #expect(String(decoding: reply.bytes, as: UTF8.self).contains("does not support assistant message prefill"))
        let entry = try #require(await live.settledLedger().first)
        #expect(entry.errorKind == .prefillRejected)
        #expect(entry.fault == "rejects_prefill")
        #expect(entry.continuation == DetectedContinuation(style: .prefill, text: "Paris"))
        let plain = await live.post("/anthropic/v1/messages", ["model": "claude-sonnet-4-6", "max_tokens": 100, "system": "You are a concise assistant.",
                                                             "messages": [["role": "user", "content": "What is the capital of France? Answer in two sentences."]]])
        #expect(plain.status == 200, "without a prefill the same model answers")
    }

    @Test("a miss answers 404 with the nearest recording, and the ledger says miss")
    func miss() async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        let reply = await live.post("/v1/chat/completions", LiveReplay.chat(stream: false, model: "gpt-5"))
        #expect(reply.status == 404)
        #expect(String(decoding: reply.bytes, as: UTF8.self).contains("the nearest is interaction capital-gpt-4o"))
        #expect(await live.settledLedger().first?.match == .miss)
    }

    @Test("the admin endpoint lists attempts with their fields and DELETE clears them")
    func adminEndpoint() async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        _ = await live.post("/v1/chat/completions", LiveReplay.chat(stream: true), headers: [("x-tapedeck-fault", "cut:after=1")])
        _ = await live.settledLedger()
        let listed = try await HTTPClient.shared.execute(HTTPClientRequest(url: live.base + "/_tapedeck/attempts"), timeout: .seconds(5))
        let json = try JSONValue.parse(Array(try await listed.body.collect(upTo: 1 << 20).readableBytesView))
        let attempt = try #require(json["attempts"]?[0])
        #expect(attempt["model"] == "gpt-4o")
        #expect(attempt["stream"] == true)
        #expect(attempt["fault"] == "cut:after=1")
        #expect(attempt["ending"] == "truncated")
        #expect(attempt["continuation"] == .null)
        var delete = HTTPClientRequest(url: live.base + "/_tapedeck/attempts")
        delete.method = .DELETE
        _ = try await HTTPClient.shared.execute(delete, timeout: .seconds(5))
        #expect(await live.service.ledger.all().isEmpty)
    }

    @Test("an invalid fault header is a 400 naming the problem")
    func invalidHeader() async throws {
        let live = try await LiveReplay.start()
        defer { Task { await live.stop() } }
        let reply = await live.post("/v1/chat/completions", LiveReplay.chat(stream: false), headers: [("x-tapedeck-fault", "cut:after=x")])
        #expect(reply.status == 400)
        #expect(String(decoding: reply.bytes, as: UTF8.self).contains("after"))
    }
}
