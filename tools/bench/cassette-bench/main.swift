// cassette-bench: write throughput and compression of the cassette store.
//
//   swift build -c release --product cassette-bench
//   .build/release/cassette-bench [--mb 64] [--streams fixtures/streams] [--dir /tmp]
//   .build/release/cassette-bench --storage [--vcrpy PYTHON] [--mb 32]
//
// --storage compares sizes only (StorageComparison.swift): the cassette file against vcrpy YAML
// (when --vcrpy names a Python with vcrpy installed) and gzip -9 of the raw bytes, for the
// provider fixtures, the fixture cassettes and the synthesized corpus.
//
// Corpus: the `.sse` files under --streams repeated until --mb megabytes of raw SSE, when there
// are any; otherwise synthesized streams in the four dialects' real shapes (unique ids, seeded
// word-level text, OpenAI's random `obfuscation` padding, usage chunks, Gemini CRLF), frames of
// about 100–350 bytes. Every figure is printed with how it was measured.
import Cassettes
import Dialects
import Foundation
import SSE

// MARK: - Arguments

var targetMB = 64
var streamsFolder = "fixtures/streams"
var scratchFolder = FileManager.default.temporaryDirectory.path
var storageOnly = false
var vcrpyPython: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--mb": targetMB = Int(arguments.next() ?? "") ?? targetMB
    case "--streams": streamsFolder = arguments.next() ?? streamsFolder
    case "--dir": scratchFolder = arguments.next() ?? scratchFolder
    case "--storage": storageOnly = true
    case "--vcrpy": vcrpyPython = arguments.next()
    default:
        print("usage: cassette-bench [--mb N] [--streams FOLDER] [--dir SCRATCH] [--storage [--vcrpy PYTHON]]")
        exit(2)
    }
}

// MARK: - Corpus

/// SplitMix64: a small seeded generator, so every run builds the same corpus.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let vocabulary = """
    the of and to a in is it that for on with as are this be by you at from or have an was not can which \
    your but all they we their more one will if has about so there when what some also may these other into \
    than only time use then its such how two first way most model request stream response token fallback \
    error retry gateway provider latency cache server client system user assistant message function value \
    data result because example however therefore important different between through during without within \
    answer question people could would should make like just over new each need work well even back good \
    after where much before here many those same both under while last long great little own old right big \
    high small large next early young few public bad able following second later possible given whole \
    cassette replay record frame event recorded compressed inside outside against again further once \
    available simple common general clear certain likely similar specific particular recent current total
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)

/// Word-level text with a Zipf-like skew (frequent words far more common), as prose has.
func words(_ count: Int, _ rng: inout SeededGenerator) -> [String] {
    (0..<count).map { index in
        let rank = Int(Double(vocabulary.count) * pow(Double.random(in: 0..<1, using: &rng), 2.2))
        var word = vocabulary[min(rank, vocabulary.count - 1)]
        if index % 13 == 12 { word += Bool.random(using: &rng) ? "." : "," }
        return " " + word
    }
}

func randomToken(_ length: Int, _ rng: inout SeededGenerator) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
}

func escaped(_ text: String) -> String { JSONWriter.string(.string(text)) }

func requestBody(model: String, stream: Bool, dialect: Dialect, _ rng: inout SeededGenerator) -> [UInt8] {
    let prompt = words(Int.random(in: 20...400, using: &rng), &rng).joined()
    switch dialect {
    case .gemini:
        return Array("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\(escaped(prompt))}]}],\"generationConfig\":{\"temperature\":0.7}}".utf8)
    case .anthropicMessages:
        return Array("{\"model\":\"\(model)\",\"max_tokens\":2048,\"system\":\"You are a helpful assistant.\",\"messages\":[{\"role\":\"user\",\"content\":\(escaped(prompt))}],\"stream\":\(stream)}".utf8)
    case .openAIResponses:
        return Array("{\"model\":\"\(model)\",\"input\":\(escaped(prompt)),\"stream\":\(stream)}".utf8)
    case .openAIChat:
        return Array("{\"model\":\"\(model)\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},{\"role\":\"user\",\"content\":\(escaped(prompt))}],\"stream\":\(stream),\"stream_options\":{\"include_usage\":true}}".utf8)
    }
}

/// One synthesized stream's SSE blocks, in the dialect's real shape.
func streamBlocks(_ dialect: Dialect, pieces: [String], _ rng: inout SeededGenerator) -> [String] {
    switch dialect {
    case .openAIChat:
        let id = "chatcmpl-" + randomToken(29, &rng)
        let created = 1_750_000_000 + Int.random(in: 0..<10_000_000, using: &rng)
        func chunk(_ delta: String, finish: String = "null", usage: String = "null", choices: Bool = true) -> String {
            let choice = choices ? "[{\"index\":0,\"delta\":\(delta),\"logprobs\":null,\"finish_reason\":\(finish)}]" : "[]"
            return "data: {\"id\":\"\(id)\",\"object\":\"chat.completion.chunk\",\"created\":\(created),\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_34a54ae93c\",\"choices\":\(choice),\"usage\":\(usage),\"obfuscation\":\"\(randomToken(Int.random(in: 2...14, using: &rng), &rng))\"}\n\n"
        }
        return [chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}")]
            + pieces.map { chunk("{\"content\":\(escaped($0))}") }
            + [chunk("{}", finish: "\"stop\""),
               chunk("null", usage: "{\"prompt_tokens\":\(Int.random(in: 20...900, using: &rng)),\"completion_tokens\":\(pieces.count),\"total_tokens\":\(pieces.count + 500),\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}", choices: false),
               "data: [DONE]\n\n"]
    case .anthropicMessages:
        let id = "msg_01" + randomToken(22, &rng)
        var blocks = ["event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"\(id)\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":\(Int.random(in: 20...900, using: &rng)),\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":1,\"service_tier\":\"standard\"}}}\n\n",
                      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"]
        for (index, piece) in pieces.enumerated() {
            if index % 40 == 20 { blocks.append("event: ping\ndata: {\"type\": \"ping\"}\n\n") }
            blocks.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\(escaped(piece))}}\n\n")
        }
        return blocks + ["event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
                         "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":\(pieces.count)}}\n\n",
                         "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"]
    case .gemini:
        let responseID = randomToken(22, &rng)
        let prompt = Int.random(in: 20...900, using: &rng)
        var total = 0
        var blocks: [String] = []
        // Gemini sends several words per chunk.
        var index = 0
        while index < pieces.count {
            let count = min(pieces.count - index, Int.random(in: 3...9, using: &rng))
            let text = pieces[index..<(index + count)].joined()
            index += count
            total += count
            let finish = index >= pieces.count ? ",\"finishReason\": \"STOP\"" : ""
            blocks.append("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \(escaped(text))}],\"role\": \"model\"}\(finish),\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": \(prompt),\"candidatesTokenCount\": \(total),\"totalTokenCount\": \(prompt + total)},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"\(responseID)\"}\r\n\r\n")
        }
        return blocks
    case .openAIResponses:
        let id = "resp_" + randomToken(40, &rng)
        let item = "msg_" + randomToken(40, &rng)
        var sequence = 0
        func event(_ type: String, _ body: String) -> String {
            defer { sequence += 1 }
            return "event: \(type)\ndata: {\"type\":\"\(type)\",\"sequence_number\":\(sequence),\(body)}\n\n"
        }
        var blocks = [event("response.created", "\"response\":{\"id\":\"\(id)\",\"object\":\"response\",\"created_at\":1750000000,\"status\":\"in_progress\",\"model\":\"gpt-4.1-mini-2025-04-14\",\"output\":[],\"usage\":null}"),
                      event("response.output_item.added", "\"output_index\":0,\"item\":{\"id\":\"\(item)\",\"type\":\"message\",\"status\":\"in_progress\",\"content\":[],\"role\":\"assistant\"}")]
        for piece in pieces {
            blocks.append(event("response.output_text.delta", "\"item_id\":\"\(item)\",\"output_index\":0,\"content_index\":0,\"delta\":\(escaped(piece)),\"logprobs\":[],\"obfuscation\":\"\(randomToken(Int.random(in: 2...14, using: &rng), &rng))\""))
        }
        blocks.append(event("response.output_text.done", "\"item_id\":\"\(item)\",\"output_index\":0,\"content_index\":0,\"text\":\(escaped(pieces.joined())),\"logprobs\":[]"))
        blocks.append(event("response.completed", "\"response\":{\"id\":\"\(id)\",\"object\":\"response\",\"status\":\"completed\",\"usage\":{\"input_tokens\":300,\"output_tokens\":\(pieces.count),\"total_tokens\":\(300 + pieces.count)}}"))
        return blocks
    }
}

/// Raw SSE streams from the fixtures, when there are any.
func fixtureStreams(_ folder: String) -> [(Dialect?, [UInt8])] {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
    return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".sse") }.sorted().compactMap { name in
        guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { return nil }
        let dialect: Dialect? = name.contains("anthropic") ? .anthropicMessages : name.contains("gemini") ? .gemini
            : name.contains("responses") ? .openAIResponses : name.contains("openai") ? .openAIChat : nil
        return (dialect, Array(data))
    }
}

func makeInteraction(number: Int, dialect: Dialect, blocks: [[UInt8]], _ rng: inout SeededGenerator) -> Interaction {
    let model: String
    let endpoint: String
    let provider: String
    switch dialect {
    case .openAIChat: (model, endpoint, provider) = ("gpt-4o-mini", "/v1/chat/completions", "openai")
    case .openAIResponses: (model, endpoint, provider) = ("gpt-4.1-mini", "/v1/responses", "openai")
    case .anthropicMessages: (model, endpoint, provider) = ("claude-sonnet-4-5", "/v1/messages", "anthropic")
    case .gemini: (model, endpoint, provider) = ("gemini-2.5-flash", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "gemini")
    }
    var offset = Int64.random(in: 200_000...900_000, using: &rng)
    let head = offset - 15_000
    let frames = blocks.map { bytes -> Frame in
        defer { offset += Int64.random(in: 5_000...60_000, using: &rng) }
        return Frame(offsetMicros: offset, bytes: bytes)
    }
    let target = dialect == .gemini ? endpoint + "?alt=sse" : endpoint
    return Interaction(
        id: "bench-\(number)", recordedAt: Date(timeIntervalSince1970: 1_750_000_000 + Double(number)), dialect: dialect,
        provider: provider, endpoint: endpoint, model: model, stream: true,
        request: RecordedRequest(method: "POST", target: target,
                                 headers: [HTTPField("content-type", "application/json"), HTTPField("authorization", "Bearer sk-proj-\(randomToken(48, &rng))")],
                                 body: requestBody(model: model, stream: true, dialect: dialect, &rng)),
        response: ResponseHead(status: 200, headers: [HTTPField("content-type", "text/event-stream; charset=utf-8")], offsetMicros: head),
        content: .frames(frames), ending: .complete, durationMicros: offset, sessionID: nil, tags: ["bench"])
}

var rng = SeededGenerator(state: 20_250_601)
let targetBytes = targetMB * 1_000_000
var corpus: [Interaction] = []
var rawSSEBytes = 0
// The storage comparison measures the fixtures on their own; its large corpus is the synthesized one.
let fixtures = storageOnly ? [] : fixtureStreams(streamsFolder)
let corpusSource: String
if !fixtures.isEmpty {
    corpusSource = "\(fixtures.count) fixture streams under \(streamsFolder), repeated"
    var index = 0
    while rawSSEBytes < targetBytes {
        let (dialect, bytes) = fixtures[index % fixtures.count]
        let blocks = Frame.frames(from: SSEParser.parse(bytes)).map(\.bytes)
        let interaction = makeInteraction(number: index, dialect: dialect ?? .openAIChat, blocks: blocks, &rng)
        rawSSEBytes += interaction.content.byteCount
        corpus.append(interaction)
        index += 1
    }
} else {
    corpusSource = "synthesized streams (no .sse fixtures under \(streamsFolder)): 45% OpenAI Chat, 25% Anthropic, 15% Gemini, 15% Responses"
    var index = 0
    while rawSSEBytes < targetBytes {
        let roll = Int.random(in: 0..<100, using: &rng)
        let dialect: Dialect = roll < 45 ? .openAIChat : roll < 70 ? .anthropicMessages : roll < 85 ? .gemini : .openAIResponses
        let pieces = words(Int.random(in: 40...700, using: &rng), &rng)
        let blocks = streamBlocks(dialect, pieces: pieces, &rng).map { Array($0.utf8) }
        let interaction = makeInteraction(number: index, dialect: dialect, blocks: blocks, &rng)
        rawSSEBytes += interaction.content.byteCount
        corpus.append(interaction)
        index += 1
    }
}
let totalFrames = corpus.reduce(0) { $0 + $1.content.frameCount }
let frameSizes = corpus.flatMap { interaction -> [Int] in
    if case .frames(let frames) = interaction.content { return frames.map(\.bytes.count) }
    return []
}.sorted()
let requestBytes = corpus.reduce(0) { $0 + $1.request.body.count }

func mb(_ bytes: Int) -> String { String(format: "%.2f MB", Double(bytes) / 1_000_000) }
func percent(_ part: Int, _ whole: Int) -> String { String(format: "%.2f%%", 100 * Double(part) / Double(whole)) }

print("corpus: \(corpusSource)")
print("  \(corpus.count) interactions, \(totalFrames) frames, raw SSE \(mb(rawSSEBytes)), request bodies \(mb(requestBytes))")
print("  frame size: median \(frameSizes[frameSizes.count / 2]) B, p10 \(frameSizes[frameSizes.count / 10]) B, p90 \(frameSizes[frameSizes.count * 9 / 10]) B")
print("  zlib \(Compression.zlibVersionString)")

// MARK: - Storage against vcrpy and gzip

if storageOnly {
    var rows: [StorageComparison.Row] = []
    rows.append(try StorageComparison.measure(
        corpus: "\(streamsFolder)/**", interactions: StorageComparison.fixtureInteractions(streamsFolder),
        python: vcrpyPython, scratch: scratchFolder))
    let cassetteFiles = ((try? FileManager.default.contentsOfDirectory(atPath: "fixtures/cassettes")) ?? [])
        .filter { $0.hasSuffix(".jsonl") }.sorted()
    for file in cassetteFiles {
        let interactions = try CassetteImporter.read(file: "fixtures/cassettes/" + file).interactions
        rows.append(try StorageComparison.measure(
            corpus: "fixtures/cassettes/\(file)", interactions: interactions, python: vcrpyPython, scratch: scratchFolder))
    }
    rows.append(try StorageComparison.measure(
        corpus: "synthesized, \(targetMB) MB of SSE", interactions: corpus, python: vcrpyPython, scratch: scratchFolder))
    StorageComparison.print(rows, emptyCassette: try StorageComparison.emptyCassetteSize(scratch: scratchFolder))
    exit(0)
}

// MARK: - Write throughput and stored size

/// Writes the corpus through a CassetteWriter and returns (seconds, enqueue seconds, stats).
@MainActor func writeCorpus(
    _ label: String, compression: CompressionSettings, redactor: Redactor, corpus: [Interaction]
) async throws -> (Double, Double, CassetteStats) {
    let path = scratchFolder + "/cassette-bench-\(UUID().uuidString).sqlite"
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    let store = try CassetteStore(path: path, mode: .createIfMissing, compression: compression)
    let dropped = DropCounter()
    let writer = CassetteWriter(store: store, redactor: redactor, limits: .init(capacity: 100_000, maxQueuedBytes: 2 << 30)) { failure in
        dropped.add(failure.interactionIDs.count)
    }
    let clock = ContinuousClock()
    let start = clock.now
    for interaction in corpus { writer.enqueue(interaction) }
    let enqueued = clock.now
    await writer.flush()
    let end = clock.now
    let stats = try store.stats()
    try store.close()
    if dropped.count > 0 { print("  !! \(dropped.count) interactions dropped in \(label)") }
    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
    return (seconds(end - start), seconds(enqueued - start), stats)
}

final class DropCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add(_ count: Int) { lock.lock(); value += count; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}

print("")
print("write throughput (CassetteWriter: enqueue all, then flush; WAL, synchronous=NORMAL; one run each)")
var results: [(String, CassetteStats)] = []
// The same corpus with every frame offset 0: the difference in stored size is what keeping
// microsecond timing costs (gzip of the raw bytes keeps no timing at all).
let untimed = corpus.map { interaction -> Interaction in
    var copy = interaction
    if case .frames(let frames) = interaction.content {
        copy.content = .frames(frames.map { Frame(offsetMicros: 0, bytes: $0.bytes) })
    }
    return copy
}
for (label, compression, redactor, input) in [
    ("level 6 + dictionary, standard redaction (default)", CompressionSettings(), Redactor.standard, corpus),
    ("level 6 + dictionary, no redaction", CompressionSettings(), Redactor.disabled, corpus),
    ("level 6, no dictionary", CompressionSettings(usesDictionaries: false), Redactor.standard, corpus),
    ("level 9 + dictionary", CompressionSettings(level: 9), Redactor.standard, corpus),
    ("level 1 + dictionary", CompressionSettings(level: 1), Redactor.standard, corpus),
    ("level 6 + dictionary, timing zeroed", CompressionSettings(), Redactor.standard, untimed),
] {
    let (seconds, enqueueSeconds, stats) = try await writeCorpus(label, compression: compression, redactor: redactor, corpus: input)
    results.append((label, stats))
    print(String(format: "  %-52@ %9.0f frames/s  %6.1f MB/s raw  (%.2f s; enqueue incl. redaction %.1f µs/interaction)",
                 label as NSString, Double(totalFrames) / seconds, Double(rawSSEBytes + requestBytes) / 1e6 / seconds, seconds,
                 enqueueSeconds * 1e6 / Double(corpus.count)))
}

// MARK: - Compression against gzip -9

print("")
print("compression of the raw SSE bytes (response frames only; request bodies excluded)")
for (label, stats) in results where !label.contains("no redaction") {
    print("  \(label): stored \(mb(stats.responseStoredBytes)) = \(percent(stats.responseStoredBytes, stats.responseRawBytes)) of raw (1/\(String(format: "%.1f", Double(stats.responseRawBytes) / Double(stats.responseStoredBytes))))")
}

// Per-interaction zlib -9 without dictionary: what random access costs without our dictionary.
var perInteraction9 = 0
for interaction in corpus { perInteraction9 += try Compression.deflate(interaction.content.bytes, level: 9).count }
print("  zlib -9 per interaction, no dictionary (random access baseline): \(mb(perInteraction9)) = \(percent(perInteraction9, rawSSEBytes))")

let rawPath = scratchFolder + "/cassette-bench-raw-\(UUID().uuidString).sse"
defer { try? FileManager.default.removeItem(atPath: rawPath) }
_ = FileManager.default.createFile(atPath: rawPath, contents: nil)
let rawHandle = FileHandle(forWritingAtPath: rawPath)!
for interaction in corpus { rawHandle.write(Data(interaction.content.bytes)) }
try rawHandle.close()
let gzip = Process()
gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
gzip.arguments = ["-c", "gzip -9 -c '\(rawPath)' | wc -c"]
let pipe = Pipe()
gzip.standardOutput = pipe
try gzip.run()
let gzipOutput = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
gzip.waitUntilExit()
let gzipBytes = Int(gzipOutput.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
print("  gzip -9 of all raw SSE bytes as one file (no random access): \(mb(gzipBytes)) = \(percent(gzipBytes, rawSSEBytes))")
let stored = results[0].1.responseStoredBytes
print(String(format: "  default stored vs gzip -9: %+.1f%%", 100 * (Double(stored) / Double(gzipBytes) - 1)))

// MARK: - Dictionary effect on short interactions

// Long streams barely need a preset dictionary (zlib learns the scaffolding within a few
// frames); short ones, the common case of tool calls and errors, are where it can help.
print("")
print("preset dictionary on the demo fixture (short streams and an error body)")
let demoPath = "fixtures/cassettes/demo.jsonl"
if FileManager.default.fileExists(atPath: demoPath) {
    var sizes: [Bool: CassetteStats] = [:]
    for usesDictionaries in [true, false] {
        let path = scratchFolder + "/cassette-bench-demo-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try CassetteStore(path: path, mode: .createIfMissing, compression: CompressionSettings(usesDictionaries: usesDictionaries))
        _ = try CassetteImporter.importFile(demoPath, into: store)
        sizes[usesDictionaries] = try store.stats()
        try store.close()
    }
    let with = sizes[true]!, without = sizes[false]!
    print("  raw \(with.rawBytes) B (responses \(with.responseRawBytes) B)")
    print("  with dictionary:    stored \(with.storedBytes) B (responses \(with.responseStoredBytes) B)")
    print("  without dictionary: stored \(without.storedBytes) B (responses \(without.responseStoredBytes) B)")
    print(String(format: "  the dictionary saves %.1f%% of stored bytes", 100 * (1 - Double(with.storedBytes) / Double(without.storedBytes))))
} else {
    print("  (no \(demoPath) here; run from the repository root)")
}
