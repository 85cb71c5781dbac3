import Foundation
import SSE
import Testing

@testable import Dialects

/// Seeded fuzzing of every dialect's decoders with damaged real fixtures and random JSON: no
/// input traps, every decode ends, and nothing decoded is much larger than what was read.
@Suite("Dialect decoder fuzzing")
struct DialectFuzzTests {
    /// The real inputs of one dialect, to mutate.
    struct Seeds: Sendable {
        var streams: [[UInt8]] = []
        var bodies: [[UInt8]] = []
        /// Request bodies with the path they were sent to.
        var requests: [(path: String, body: [UInt8])] = []
    }

    static let folders: [Dialect: String] = [
        .openAIChat: "streams/openai_chat", .openAIResponses: "streams/openai_responses",
        .anthropicMessages: "streams/anthropic_messages", .gemini: "streams/gemini",
    ]

    static let seeds: [Dialect: Seeds] = {
        var seeds: [Dialect: Seeds] = [:]
        for (dialect, folder) in folders {
            var entry = Seeds()
            for url in Fixtures.files(under: folder, extensions: ["sse", "json"]) where url.lastPathComponent != "outcomes.json" {
                guard let bytes = try? Array(Data(contentsOf: url)) else { continue }
                if url.pathExtension == "sse" { entry.streams.append(bytes) } else { entry.bodies.append(bytes) }
            }
            entry.requests = extraRequests[dialect] ?? []
            seeds[dialect] = entry
        }
        // Real recorded requests from the cassette fixtures.
        for url in Fixtures.files(under: "cassettes", extensions: ["jsonl"]) {
            let lines = (try? String(contentsOf: url, encoding: .utf8))?.split(separator: "\n") ?? []
            for line in lines {
                guard let record = try? JSONValue.parse(String(line)),
                    let dialect = record["dialect"]?.stringValue.flatMap(Dialect.init(rawValue:)),
                    let path = record["endpoint"]?.stringValue,
                    let body = record["request"]?["body"]?["text"]?.stringValue
                else { continue }
                seeds[dialect, default: Seeds()].requests.append((path, Array(body.utf8)))
            }
        }
        return seeds
    }()

    /// Requests the cassettes lack: every dialect's shapes with tools, system prompts and prefill.
    static let extraRequests: [Dialect: [(path: String, body: [UInt8])]] = [
        .openAIChat: [("/v1/chat/completions", Array(#"{"model":"gpt-4o","stream":true,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"42"},{"role":"assistant","content":"The answer","prefix":true}]}"#.utf8))],
        .openAIResponses: [("/v1/responses", Array(#"{"model":"gpt-4.1","stream":true,"instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"Hi"}]},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"42"},{"role":"assistant","content":"The"}]}"#.utf8)),
                           ("/v1/responses", Array(#"{"model":"gpt-4.1","input":"Hello"}"#.utf8))],
        .anthropicMessages: [("/v1/messages", Array(#"{"model":"claude-sonnet-4","max_tokens":64,"stream":true,"system":[{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"42"}]},{"role":"assistant","content":"The"}]}"#.utf8))],
        .gemini: [("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", Array(#"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"x":42}}}]},{"role":"model","parts":[{"text":"The"}]}]}"#.utf8)),
                  ("/v1beta/models/gemini-2.5-flash:generateContent", Array(#"{"contents":"not a list"}"#.utf8))],
    ]

    /// Every fixture of every dialect: the donors for splices across dialects.
    static let allInputs: [[UInt8]] = seeds.values.flatMap { $0.streams + $0.bodies + $0.requests.map(\.body) }

    static let statuses = [nil, 200, 201, 204, 299, 400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 529, 0, 99, 600, 999, -1, Int.max, Int.min]

    @Test("the fuzz seeds cover every dialect's streams, bodies and requests", arguments: Dialect.allCases)
    func seedsAreLoaded(_ dialect: Dialect) throws {
        let entry = try #require(Self.seeds[dialect])
        #expect(entry.streams.count >= 4 && entry.bodies.count >= 4 && !entry.requests.isEmpty)
    }

    @Test("damaged streams decode to a bounded outcome and synthesize back without trapping", arguments: Dialect.allCases)
    func damagedStreams(_ dialect: Dialect) throws {
        let codec = dialect.codec
        let streams = try #require(Self.seeds[dialect]).streams
        let mutator = ByteMutator(donors: Self.allInputs)
        FuzzCampaign("\(dialect.rawValue) streams", seed: 0x5757, iterations: 600).run { fuzzCase in
            let original = fuzzCase.random.pick(streams)
            let (bytes, kinds): ([UInt8], [String])
            if fuzzCase.random.chance(1, in: 2) {
                let mutated = mutator.mutate(original, using: &fuzzCase.random)
                (bytes, kinds) = (mutated.bytes, mutated.kinds.map(\.rawValue))
            } else {
                // Damage inside one event's data keeps the SSE framing, so the JSON reaches the accumulator.
                (bytes, kinds) = Self.mutateOneEvent(original, encoder: codec.encoder, mutator: mutator, random: &fuzzCase.random)
            }
            Self.exerciseStream(bytes, codec: codec, label: "\(fuzzCase.label) after \(kinds)")
        }
    }

    @Test("random event sequences of random JSON decode to a bounded outcome", arguments: Dialect.allCases)
    func randomEventStreams(_ dialect: Dialect) {
        let codec = dialect.codec
        let json = RandomJSON(maxDepth: 5)
        FuzzCampaign("\(dialect.rawValue) random events", seed: 0xE7E7, iterations: 400).run { fuzzCase in
            let events = (0..<fuzzCase.random.below(12)).map { _ in
                SSEEvent(
                    type: fuzzCase.random.chance(1, in: 2) ? fuzzCase.random.pick(RandomJSON.words) : "message",
                    data: fuzzCase.random.chance(1, in: 12) ? "[DONE]" : json.document(using: &fuzzCase.random))
            }
            Self.exerciseStream(events.flatMap(codec.encoder.encode), codec: codec, label: fuzzCase.label)
        }
    }

    @Test("damaged and random bodies decode and classify as errors without trapping", arguments: Dialect.allCases)
    func damagedBodies(_ dialect: Dialect) throws {
        let codec = dialect.codec
        let bodies = try #require(Self.seeds[dialect]).bodies
        let mutator = ByteMutator(donors: Self.allInputs)
        let json = RandomJSON()
        FuzzCampaign("\(dialect.rawValue) bodies", seed: 0xB0D1, iterations: 800).run { fuzzCase in
            let bytes: [UInt8]
            var kinds: [ByteMutator.Kind] = []
            if fuzzCase.random.chance(1, in: 4) {
                bytes = Array(json.document(using: &fuzzCase.random).utf8)
            } else {
                (bytes, kinds) = mutator.mutate(fuzzCase.random.pick(bodies), using: &fuzzCase.random)
            }
            let label = "\(fuzzCase.label) after \(kinds)"
            let status = fuzzCase.random.pick(Self.statuses)
            let outcome = codec.outcome(fromBody: bytes, status: status)
            Self.expectBounded(outcome, input: bytes, label: label)
            Self.exerciseSynthesis(of: outcome, codec: codec, label: label)
            let error = codec.classify(status: status ?? 500, body: bytes)
            #expect(error.message.unicodeScalars.count <= bytes.count + 512, "\(label): error message larger than the body")
            _ = try? ResponseInspector.inspect(bytes: bytes, fileName: "fuzz.json")
        }
    }

    @Test("damaged and random requests give a request view and a continuation without trapping", arguments: Dialect.allCases)
    func damagedRequests(_ dialect: Dialect) throws {
        let codec = dialect.codec
        let requests = try #require(Self.seeds[dialect]).requests
        let mutator = ByteMutator(donors: Self.allInputs)
        let json = RandomJSON()
        FuzzCampaign("\(dialect.rawValue) requests", seed: 0x2E0, iterations: 800).run { fuzzCase in
            let seed = fuzzCase.random.pick(requests)
            let bytes = fuzzCase.random.chance(1, in: 4)
                ? Array(json.document(using: &fuzzCase.random).utf8)
                : mutator.mutate(seed.body, using: &fuzzCase.random).bytes
            var pathBytes = Array(seed.path.utf8)
            if fuzzCase.random.chance(1, in: 4) { pathBytes = mutator.mutate(pathBytes, using: &fuzzCase.random).bytes }
            let path = String(decoding: pathBytes, as: UTF8.self)
            _ = Dialect.detect(path: path)
            guard let body = try? JSONValue.parse(bytes) else { return }
            let view = codec.requestView(body: body, path: path)
            let turnText = view.turns.reduce(0) { $0 + $1.text.unicodeScalars.count + $1.role.unicodeScalars.count }
            #expect(turnText <= 4 * bytes.count + 64, "\(fuzzCase.label): request view larger than the request")
            for style in ContinuationStyle.allCases {
                _ = JSONWriter.bytes(codec.continuationRequest(original: body, partialText: "partial é", style: style))
            }
        }
    }

    @Test("provider error responses are built for any retry-after without trapping", arguments: Dialect.allCases)
    func errorResponsesForExtremeRetryAfter(_ dialect: Dialect) {
        let codec = dialect.codec
        for kind in ErrorKind.allCases {
            for retryAfter in [nil, 0, 1, -1, Int.max / 1000 + 1, Int.max, Int.min] {
                let response = codec.errorResponse(kind: kind, message: nil, retryAfter: retryAfter)
                #expect(response.status >= 400, "\(kind) retry-after \(String(describing: retryAfter))")
                if let retryAfter {
                    #expect(response.headers.contains(HTTPField("retry-after", String(retryAfter))), "\(kind) retry-after \(retryAfter)")
                }
            }
        }
    }

    // MARK: - Properties

    /// Parses, decodes, classifies and re-synthesizes one stream, checking the bounds.
    static func exerciseStream(_ bytes: [UInt8], codec: any DialectCodec, label: String) {
        let frames = SSEParser.parse(bytes)
        let outcome = codec.outcome(fromFrames: frames)
        expectBounded(outcome, input: bytes, label: label)
        let events = frames.compactMap(\.event)
        for event in events {
            _ = codec.isTerminator(event)
            _ = codec.classify(inBand: event)
        }
        _ = Dialect.detect(frames: frames)
        _ = codec.inBandErrorEvent(kind: .overloaded, message: nil, after: events)
        exerciseSynthesis(of: outcome, codec: codec, label: label)
    }

    /// A decoded outcome must synthesize a stream and a body whose size follows from its own.
    static func exerciseSynthesis(of outcome: Outcome, codec: any DialectCodec, label: String) {
        var success = outcome
        success.error = nil
        // Linear in the outcome: a few hundred bytes of envelope per choice and per tool call
        // (role and finish chunks), a constant factor per character of text.
        let budget = 64 * footprint(of: outcome) + 512 * (outcome.choices.count + outcome.toolCalls.count) + 16_384
        let stream = codec.streamBytes(for: success)
        #expect(stream.count <= budget, "\(label): synthesized stream of \(stream.count) bytes for \(outcome.choices.count) choices")
        let body = JSONWriter.bytes(codec.body(for: success))
        #expect(body.count <= budget, "\(label): synthesized body of \(body.count) bytes")
    }

    /// Decoding never amplifies: the outcome holds at most about what the input held.
    static func expectBounded(_ outcome: Outcome, input: [UInt8], label: String) {
        let size = footprint(of: outcome)
        #expect(size <= 2 * input.count + 256, "\(label): outcome footprint \(size) for \(input.count) input bytes")
    }

    /// A size measure of an outcome: characters of its texts and ids, plus one per choice and call.
    static func footprint(of outcome: Outcome) -> Int {
        let text = outcome.choices.reduce(0) { $0 + $1.unicodeScalars.count + 1 }
        let calls = outcome.toolCalls.reduce(0) {
            $0 + $1.id.unicodeScalars.count + $1.name.unicodeScalars.count + $1.arguments.unicodeScalars.count + 1
        }
        return text + calls + (outcome.model?.unicodeScalars.count ?? 0) + (outcome.error?.message.unicodeScalars.count ?? 0)
    }

    /// Mutates the data of one event of a stream and re-encodes the stream.
    static func mutateOneEvent(
        _ stream: [UInt8], encoder: SSEEncoder, mutator: ByteMutator, random: inout SeededGenerator
    ) -> ([UInt8], [String]) {
        var events = SSEParser.parse(stream).compactMap(\.event)
        guard !events.isEmpty else { return (stream, []) }
        var kinds: [String] = []
        for _ in 0...random.below(3) {
            let position = random.below(events.count)
            let mutated = mutator.mutate(Array(events[position].data.utf8), using: &random)
            events[position].data = String(decoding: mutated.bytes, as: UTF8.self)
            kinds += mutated.kinds.map { "event \(position): \($0.rawValue)" }
        }
        if random.chance(1, in: 4) { events.shuffle(using: &random) }
        return (events.flatMap(encoder.encode), kinds)
    }
}

/// Each input the fuzzer (or reading the code behind what it found) showed trapping, kept as a
/// plain regression test.
@Suite("Dialect decoder fuzz regressions")
struct DialectFuzzRegressionTests {
    @Test("a Responses error event after sequence_number Int.max keeps Int.max instead of overflowing")
    func responsesSequenceNumberAtIntMax() throws {
        let sent = [SSEEvent(type: "response.output_text.delta", data: #"{"type":"response.output_text.delta","sequence_number":9223372036854775807}"#)]
        let event = OpenAIResponsesCodec().inBandErrorEvent(kind: .overloaded, message: nil, after: sent)
        #expect(try JSONValue.parse(event.data)["sequence_number"] == .int(.max))
    }

    @Test("usage of two attempts saturates instead of overflowing")
    func usageSumSaturates() {
        let total = Usage(inputTokens: .max, outputTokens: .min) + Usage(inputTokens: 1, outputTokens: -1)
        #expect(total == Usage(inputTokens: .max, outputTokens: .min))
    }

    @Test("Gemini usage with huge token counts saturates, in a body and in a synthesized stream")
    func geminiUsageSaturates() {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":9223372036854775807,"toolUsePromptTokenCount":9223372036854775807,"candidatesTokenCount":1}}"#
        let outcome = GeminiCodec().outcome(fromBody: Array(body.utf8), status: 200)
        #expect(outcome.usage == Usage(inputTokens: .max, outputTokens: 1))
        #expect(!GeminiCodec().streamBytes(for: outcome).isEmpty)
    }

    @Test("Anthropic input tokens with huge cache counts saturate")
    func anthropicInputTokensSaturate() {
        let usage: JSONValue = ["input_tokens": .int(.max), "cache_read_input_tokens": .int(.max)]
        #expect(AnthropicMessagesCodec.inputTokens(in: usage) == .max)
        var accumulator = AnthropicMessagesCodec().makeAccumulator()
        accumulator.consume(SSEEvent(type: "message_start", data: #"{"type":"message_start","message":{"usage":{"input_tokens":9223372036854775807,"cache_creation_input_tokens":5}}}"#))
        #expect(accumulator.outcome().usage?.inputTokens == .max)
    }

    @Test("a Gemini candidate index of a billion is ignored rather than growing a billion choices")
    func geminiHugeCandidateIndex() {
        let chunk = #"{"candidates":[{"index":1000000000,"content":{"parts":[{"text":"x"}]}},{"content":{"parts":[{"text":"kept"}]}}]}"#
        let outcome = GeminiCodec().outcome(fromBody: Array(chunk.utf8), status: 200)
        #expect(outcome.choices.count == 2 && outcome.choices[1] == "kept")
    }

    @Test("an OpenAI error response with retry-after Int.max clamps retry-after-ms")
    func openAIRetryAfterMilliseconds() {
        let response = OpenAIChatCodec().errorResponse(kind: .rateLimit, message: nil, retryAfter: .max)
        #expect(response.headers.contains(HTTPField("retry-after-ms", String(Int.max))))
    }
}
