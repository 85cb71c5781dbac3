import Cassettes
import Dialects
import Foundation
import SSE

/// Storage size of the same interactions three ways: a Tapedeck cassette file, a vcrpy YAML
/// cassette (written by vcrpy's own serializer, through `tools/bench/vcrpy_yaml.py`), and
/// `gzip -9` of the raw bytes (request and response bodies concatenated, headers excluded).
enum StorageComparison {
    /// One corpus's sizes, in bytes.
    struct Row {
        var corpus: String
        var interactions: Int
        var raw: Int
        var cassette: Int
        var vcrYAML: Int?
        var gzipRaw: Int
    }

    /// Measures `interactions` under the label `corpus`; `python` runs vcrpy (nil: no YAML column).
    static func measure(corpus: String, interactions: [Interaction], python: String?, scratch: String) throws -> Row {
        let base = scratch + "/storage-bench-\(UUID().uuidString)"
        let cassettePath = base + ".sqlite"
        defer {
            for path in [cassettePath, cassettePath + "-wal", cassettePath + "-shm", base + ".jsonl", base + ".yaml", base + ".raw"] {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let store = try CassetteStore(path: cassettePath, mode: .createIfMissing)
        _ = try store.insert(interactions)
        // What vcrpy gets is what the cassette holds: the stored, redacted interactions.
        _ = FileManager.default.createFile(atPath: base + ".jsonl", contents: nil)
        let jsonl = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".jsonl"))
        try CassetteExporter.writeJSONL(from: store) { try jsonl.write(contentsOf: $0) }
        try jsonl.close()
        // Fold the WAL into the file, so the file alone is the cassette's size.
        try store.checkpoint()
        try store.close()
        let cassette = fileSize(cassettePath) + fileSize(cassettePath + "-wal")

        var raw = Data()
        for interaction in interactions {
            raw.append(contentsOf: interaction.request.body)
            raw.append(contentsOf: interaction.content.bytes)
        }
        try raw.write(to: URL(fileURLWithPath: base + ".raw"))
        let gzipped = try shell("gzip -9 -c '\(base).raw' | wc -c")

        var yaml: Int?
        if let python {
            // Run from the repository root, like the rest of the bench (it reads fixtures/ too).
            let script = "tools/bench/vcrpy_yaml.py"
            _ = try shell("'\(python)' '\(script)' '\(base).jsonl' '\(base).yaml'")
            yaml = fileSize(base + ".yaml")
        }
        return Row(
            corpus: corpus, interactions: interactions.count, raw: raw.count, cassette: cassette, vcrYAML: yaml,
            gzipRaw: Int(gzipped.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
    }

    /// Every stream (`.sse`) and body (`.json`, other than `outcomes.json`) under `folder`, once,
    /// as the interactions a recorder would have stored for them.
    static func fixtureInteractions(_ folder: String) -> [Interaction] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        let names = walker.compactMap { $0 as? String }
            .filter { ($0.hasSuffix(".sse") || $0.hasSuffix(".json")) && !$0.hasSuffix("outcomes.json") }.sorted()
        return names.enumerated().compactMap { number, name in
            guard let data = FileManager.default.contents(atPath: folder + "/" + name),
                let dialect = Dialect(rawValue: String(name.split(separator: "/").first ?? ""))
            else { return nil }
            let (provider, endpoint, model) = route(dialect)
            let stream = name.hasSuffix(".sse")
            // Error bodies are named `http-STATUS-…`.
            let file = name.split(separator: "/").last.map(String.init) ?? name
            let parts = file.split(separator: "-")
            let status = parts.first == "http" && parts.count > 1 ? Int(parts[1]) ?? 200 : 200
            let content: ResponseContent = stream
                ? .frames(Frame.frames(from: SSEParser.parse(Array(data))).enumerated().map { index, frame in
                    Frame(offsetMicros: 300_000 + Int64(index) * 20_000, bytes: frame.bytes)
                })
                : .body(Array(data))
            let body = "{\"model\":\"\(model)\",\"messages\":[{\"role\":\"user\",\"content\":\"fixture \(file)\"}],\"stream\":\(stream)}"
            return Interaction(
                id: "fixture-\(number)", recordedAt: Date(timeIntervalSince1970: 1_750_000_000 + Double(number)), dialect: dialect,
                provider: provider, endpoint: endpoint, model: model, stream: stream,
                request: RecordedRequest(
                    method: "POST", target: endpoint,
                    headers: [HTTPField("content-type", "application/json"), HTTPField("authorization", "Bearer sk-fixture-placeholder")],
                    body: Array(body.utf8)),
                response: ResponseHead(
                    status: status, headers: [HTTPField("content-type", stream ? "text/event-stream" : "application/json")],
                    offsetMicros: 250_000),
                content: content, ending: status == 200 ? .complete : .httpError, durationMicros: 900_000, tags: ["fixture"])
        }
    }

    private static func route(_ dialect: Dialect) -> (provider: String, endpoint: String, model: String) {
        switch dialect {
        case .openAIChat: ("openai", "/v1/chat/completions", "gpt-4o")
        case .openAIResponses: ("openai", "/v1/responses", "gpt-4.1-mini")
        case .anthropicMessages: ("anthropic", "/v1/messages", "claude-sonnet-4-5")
        case .gemini: ("gemini", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "gemini-2.5-flash")
        }
    }

    /// The size of a cassette file with no interactions: SQLite's pages for the schema and indexes,
    /// a floor every cassette pays, which dominates for a handful of interactions.
    static func emptyCassetteSize(scratch: String) throws -> Int {
        let path = scratch + "/storage-bench-empty-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try CassetteStore(path: path, mode: .createIfMissing)
        try store.checkpoint()
        try store.close()
        return fileSize(path) + fileSize(path + "-wal")
    }

    /// Prints the table, with every size also as a share of the raw bytes and the cassette against each.
    static func print(_ rows: [Row], emptyCassette: Int) {
        func kb(_ bytes: Int) -> String { bytes >= 10_000_000 ? String(format: "%.1f MB", Double(bytes) / 1e6) : String(format: "%.1f kB", Double(bytes) / 1e3) }
        func share(_ part: Int, _ whole: Int) -> String { String(format: "%.1f%%", 100 * Double(part) / Double(whole)) }
        func cell(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        Swift.print("")
        Swift.print("storage: the same interactions as a cassette file (WAL checkpointed), as vcrpy YAML, and gzip -9 of the raw bytes")
        Swift.print("(raw = request and response bodies as on the wire, headers excluded; % = share of raw;")
        Swift.print(" an empty cassette file is \(kb(emptyCassette)): schema and index pages every cassette pays)")
        Swift.print(cell("corpus", 38) + cell("n", 6) + cell("raw", 11) + cell("cassette", 19) + cell("vcrpy YAML", 19) + cell("gzip -9 raw", 19)
            + "YAML/cassette  cassette/gzip")
        for row in rows {
            let yaml = row.vcrYAML.map { "\(kb($0)) \(share($0, row.raw))" } ?? "(no --vcrpy)"
            let yamlRatio = row.vcrYAML.map { String(format: "%.1f×", Double($0) / Double(row.cassette)) } ?? "-"
            Swift.print(
                cell(row.corpus, 38) + cell("\(row.interactions)", 6) + cell(kb(row.raw), 11)
                    + cell("\(kb(row.cassette)) \(share(row.cassette, row.raw))", 19) + cell(yaml, 19)
                    + cell("\(kb(row.gzipRaw)) \(share(row.gzipRaw, row.raw))", 19)
                    + cell(yamlRatio, 15) + String(format: "%.2f", Double(row.cassette) / Double(row.gzipRaw)))
        }
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    private static func shell(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw StorageBenchError(command: command, status: process.terminationStatus) }
        return output
    }
}

/// A helper command of the storage comparison failed.
struct StorageBenchError: Error, CustomStringConvertible {
    var command: String
    var status: Int32
    var description: String { "cassette-bench: `\(command)` exited with status \(status)" }
}
