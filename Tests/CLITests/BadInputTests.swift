import Foundation
import GRDB
import Testing

/// Every bad file, option and value a user can hand the `tapedeck` binary: one clear sentence
/// naming what and where on stderr, a non-zero exit, and the input file left as it was.
/// docs/bad-inputs.md lists these rows with the sentence each one prints.
@Suite("Bad inputs on the command line")
struct BadInputTests {
    /// One bad input: the arguments (`{dir}` is the scratch folder of bad files), a part of the
    /// error sentence (same placeholder), and the exit status.
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        var message: String
        var status: Int32 = 1
        var testDescription: String { name }
    }

    static let analyze = ["analyze", "--cassette", "fixtures/cassettes/analyze-demo.jsonl", "--router", "fixtures/routers/analyze-demo.yaml",
                          "--report", "{dir}/report", "--scenarios"]
    static let serve = ["serve", "--listen", "127.0.0.1:0", "--cassette"]
    static let serveDemo = ["serve", "--listen", "127.0.0.1:0", "--cassette", "fixtures/cassettes/demo.jsonl"]
    static let record = ["record", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9", "--cassette"]

    static let rows: [Row] = [
        // Router config (LiteLLM config.yaml)
        Row(name: "router config: YAML syntax error", arguments: ["route", "--config", "{dir}/router-syntax.yaml"],
            message: "router-syntax.yaml:4: not valid YAML: did not find expected ',' or '}' while parsing a flow mapping."),
        Row(name: "router config: wrong type", arguments: ["route", "--config", "{dir}/router-types.yaml"],
            message: "router-types.yaml:1: model_list: expected a list, got \"5\"."),
        Row(name: "router config: unknown model in fallbacks", arguments: ["route", "--config", "{dir}/router-fallback.yaml"],
            message: "router-fallback.yaml:5: router_settings.fallbacks[0].a: fallback target \"nope\" is not a model_name in model_list."),
        Row(name: "router config: empty file", arguments: ["route", "--config", "{dir}/empty.yaml"],
            message: "empty.yaml:1: model_list is required but missing."),
        Row(name: "router config: a directory", arguments: ["route", "--config", "{dir}/a-directory"],
            message: "{dir}/a-directory is a directory, not a file."),
        Row(name: "router config: missing file", arguments: ["route", "--config", "{dir}/missing.yaml"],
            message: "{dir}/missing.yaml does not exist."),
        Row(name: "router config for analyze: unknown model in fallbacks",
            arguments: ["analyze", "--cassette", "fixtures/cassettes/analyze-demo.jsonl", "--router", "{dir}/router-fallback.yaml", "--matrix", "standard"],
            message: "router-fallback.yaml:5: router_settings.fallbacks[0].a: fallback target \"nope\" is not a model_name in model_list."),
        // Scenario files
        Row(name: "scenarios: YAML syntax error", arguments: analyze + ["{dir}/scenario-syntax.yaml"],
            message: "{dir}/scenario-syntax.yaml is not valid YAML: 4:1"),
        Row(name: "scenarios: wrong type", arguments: analyze + ["{dir}/scenario-types.yaml"],
            message: "{dir}/scenario-types.yaml, line 1: `scenarios` must be a list."),
        Row(name: "scenarios: unknown key", arguments: analyze + ["{dir}/scenario-key.yaml"],
            message: "{dir}/scenario-key.yaml, line 4: unknown scenario key `fautls`"),
        Row(name: "scenarios: faults of the wrong type", arguments: analyze + ["{dir}/scenario-fault.yaml"],
            message: "{dir}/scenario-fault.yaml, line 4: scenario `a`: `faults.m` must be a string or a list of strings."),
        Row(name: "scenarios: empty file", arguments: analyze + ["{dir}/empty.yaml"],
            message: "{dir}/empty.yaml: expected a mapping with a `scenarios` list."),
        Row(name: "scenarios: a directory", arguments: analyze + ["{dir}/a-directory"],
            message: "{dir}/a-directory is a directory, not a file."),
        Row(name: "scenarios: missing file", arguments: analyze + ["{dir}/missing.yaml"],
            message: "{dir}/missing.yaml does not exist."),
        // Fault specs and faults files
        Row(name: "--fault: bad value", arguments: serveDemo + ["--fault", "cut:after=x"],
            message: "--fault: fault spec 'cut:after=x': 'after' must be a non-negative integer"),
        Row(name: "--fault: misspelt kind", arguments: serveDemo + ["--fault", "cutt:after=1"],
            message: "--fault: fault spec 'cutt:after=1': unknown kind 'cutt'; known kinds are ok, http_error,"),
        Row(name: "--fault: status out of range", arguments: serveDemo + ["--fault", "http_error:status=200"],
            message: "--fault: fault spec 'http_error:status=200': 'status' must be an HTTP error status from 400 to 599"),
        Row(name: "--faults: YAML syntax error", arguments: serveDemo + ["--faults", "{dir}/faults-syntax.yaml"],
            message: "faults file '{dir}/faults-syntax.yaml' line 3 is not valid YAML"),
        Row(name: "--faults: wrong type", arguments: serveDemo + ["--faults", "{dir}/faults-types.yaml"],
            message: "faults file '{dir}/faults-types.yaml' line 1: 'default' must be a mapping of schedule, windows, fault, probability, capabilities"),
        Row(name: "--faults: bad spec inside", arguments: serveDemo + ["--faults", "{dir}/faults-spec.yaml"],
            message: "faults file '{dir}/faults-spec.yaml' line 2: 'default': fault spec 'nope': unknown kind 'nope'"),
        Row(name: "--faults: a directory", arguments: serveDemo + ["--faults", "{dir}/a-directory"],
            message: "{dir}/a-directory is a directory, not a file."),
        Row(name: "--faults: missing file", arguments: serveDemo + ["--faults", "{dir}/missing.yaml"],
            message: "{dir}/missing.yaml does not exist."),
        Row(name: "--capability: not MODEL=capability", arguments: serveDemo + ["--capability", "nonsense"],
            message: "--capability: capability 'nonsense': write MODEL=capability, e.g. claude-sonnet-4-6=rejects_prefill"),
        Row(name: "--speed: not a number", arguments: serveDemo + ["--speed", "fast"],
            message: "--speed fast: speed 'fast' must be a positive number (1 is real time) or 'max'"),
        // Cassettes
        Row(name: "cassette: newer format (serve)", arguments: serve + ["{dir}/newer.sqlite"],
            message: "{dir}/newer.sqlite has cassette format version 99, newer than the version 1 this tapedeck reads; upgrade tapedeck to open it."),
        Row(name: "cassette: newer format (record)", arguments: record + ["{dir}/newer.sqlite"],
            message: "{dir}/newer.sqlite has cassette format version 99, newer than the version 1 this tapedeck reads; upgrade tapedeck to open it."),
        Row(name: "cassette: foreign SQLite (ls)", arguments: ["cassette", "ls", "{dir}/foreign.sqlite"],
            message: "{dir}/foreign.sqlite is not a Tapedeck cassette: it is an SQLite database without cassette tables."),
        Row(name: "cassette: foreign SQLite (record)", arguments: record + ["{dir}/foreign.sqlite"],
            message: "{dir}/foreign.sqlite is not a Tapedeck cassette: it is an SQLite database without cassette tables."),
        Row(name: "cassette: not SQLite (verify)", arguments: ["cassette", "verify", "{dir}/text.sqlite"],
            message: "{dir}/text.sqlite is not a Tapedeck cassette: it is not an SQLite database."),
        Row(name: "cassette: not SQLite (record)", arguments: record + ["{dir}/text.sqlite"],
            message: "{dir}/text.sqlite is not a Tapedeck cassette: it is not an SQLite database."),
        Row(name: "cassette: truncated file (ls)", arguments: ["cassette", "ls", "{dir}/truncated.sqlite"],
            message: "{dir}/truncated.sqlite is corrupt: database disk image is malformed."),
        Row(name: "cassette: truncated file (serve)", arguments: serve + ["{dir}/truncated.sqlite"],
            message: "{dir}/truncated.sqlite is corrupt: database disk image is malformed."),
        Row(name: "cassette: empty file (serve)", arguments: serve + ["{dir}/empty.sqlite"],
            message: "{dir}/empty.sqlite is not a Tapedeck cassette: it has no cassette tables."),
        Row(name: "cassette: a directory (ls)", arguments: ["cassette", "ls", "{dir}/a-directory"],
            message: "{dir}/a-directory is a directory, not a file."),
        Row(name: "cassette: a directory (record)", arguments: record + ["{dir}/a-directory"],
            message: "{dir}/a-directory is a directory, not a file."),
        Row(name: "cassette: missing file (serve)", arguments: serve + ["{dir}/missing.sqlite"],
            message: "{dir}/missing.sqlite does not exist."),
        Row(name: "import: JSONL with a malformed line", arguments: ["cassette", "import", "{dir}/bad.jsonl", "--into", "{dir}/out-jsonl.sqlite"],
            message: "{dir}/bad.jsonl line 2: the line is not valid JSON."),
        Row(name: "serve: JSONL with a malformed line", arguments: serve + ["{dir}/bad.jsonl"],
            message: "{dir}/bad.jsonl line 2: the line is not valid JSON."),
        Row(name: "import: HAR with a malformed entry", arguments: ["cassette", "import", "{dir}/bad.har", "--into", "{dir}/out-har.sqlite"],
            message: "{dir}/bad.har: entry 0: startedDateTime \"\" is not an ISO 8601 time."),
        Row(name: "import: HAR that is not JSON", arguments: ["cassette", "import", "{dir}/cut.har", "--into", "{dir}/out-har2.sqlite"],
            message: "{dir}/cut.har: it is not valid JSON."),
        Row(name: "import: vcrpy cassette with a malformed interaction", arguments: ["cassette", "import", "{dir}/bad-vcr.yaml", "--into", "{dir}/out-vcr.sqlite"],
            message: "{dir}/bad-vcr.yaml: interaction 0: request or response is missing."),
        Row(name: "import: unknown extension", arguments: ["cassette", "import", "{dir}/router-types.txt", "--into", "{dir}/out-txt.sqlite"],
            message: "{dir}/router-types.txt: unknown import format; use a .jsonl, .har, .yaml or .yml file."),
        // Options
        Row(name: "--listen: port out of range", arguments: ["serve", "--cassette", "fixtures/cassettes/demo.jsonl", "--listen", "127.0.0.1:99999"],
            message: "The value '127.0.0.1:99999' is invalid for '--listen <listen>'", status: 64),
        Row(name: "--listen: no port", arguments: ["route", "--config", "fixtures/routers/demo.yaml", "--listen", "localhost:"],
            message: "The value 'localhost:' is invalid for '--listen <listen>'", status: 64),
        Row(name: "record: no --upstream", arguments: ["record", "--cassette", "{dir}/x.sqlite"],
            message: "no --upstream was given", status: 64),
    ]

    @Test("a bad input is one sentence naming it on stderr and a non-zero exit", arguments: rows)
    func badInput(_ row: Row) throws {
        let folder = try BadInputFiles.shared.folder()
        let arguments = row.arguments.map { $0.replacingOccurrences(of: "{dir}", with: folder.path) }
        let inputs = arguments.filter { $0.hasPrefix(folder.path) }
        let before = inputs.map { FileManager.default.contents(atPath: $0) }
        let result = try TapedeckProcess.run(arguments)
        #expect(result.status == row.status, "\(result.stderr)")
        let message = row.message.replacingOccurrences(of: "{dir}", with: folder.path)
        #expect(result.stderr.contains(message), "stderr was: \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "), "stderr was: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Backtrace"))
        // Nothing lost: every input file named on the command line is unchanged.
        #expect(inputs.map { FileManager.default.contents(atPath: $0) } == before)
    }

    @Test("a port already in use is one sentence and a non-zero exit for every server", arguments: ["serve", "route", "record"])
    func portInUse(_ command: String) throws {
        let holder = try ListeningSocket()
        defer { holder.close() }
        let folder = try BadInputFiles.shared.folder()
        let listen = ["--listen", "127.0.0.1:\(holder.port)"]
        let arguments: [String] = switch command {
        case "serve": ["serve", "--cassette", "fixtures/cassettes/demo.jsonl"] + listen
        case "route": ["route", "--config", "fixtures/routers/demo.yaml"] + listen
        default: ["record", "--cassette", folder.appendingPathComponent("port-\(UUID().uuidString).sqlite").path, "--upstream", "http://127.0.0.1:9"] + listen
        }
        let result = try TapedeckProcess.run(arguments)
        #expect(result.status == 1)
        #expect(result.stderr.contains("127.0.0.1:\(holder.port)") && result.stderr.contains("Address already in use"), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
    }
}

/// The scratch folder of bad files, made once per test run.
final class BadInputFiles: @unchecked Sendable {
    static let shared = BadInputFiles()
    private let lock = NSLock()
    private var made: Result<URL, any Error>?

    func folder() throws -> URL {
        try lock.withLock {
            if made == nil { made = Result { try Self.make() } }
            return try made!.get()
        }
    }

    private static func make() throws -> URL {
        // Inputs (some hold the fixtures' keys): not kept for the secret scan.
        let folder = try ScratchDirectory("bad-inputs", purpose: .inputs).url
        let manager = FileManager.default
        try manager.createDirectory(at: folder.appendingPathComponent("a-directory"), withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        }
        try write("router-syntax.yaml", "model_list:\n  - model_name: a\n    litellm_params: {model: openai/gpt-4o\n")
        try write("router-types.yaml", "model_list: 5\n")
        try write("router-types.txt", "model_list: 5\n")
        try write("router-fallback.yaml", "model_list:\n  - model_name: a\n    litellm_params: {model: openai/gpt-4o}\nrouter_settings:\n  fallbacks: [{a: [nope]}]\n")
        try write("empty.yaml", "")
        try write("scenario-syntax.yaml", "scenarios:\n  - name: x\n    request: [\n")
        try write("scenario-types.yaml", "scenarios: 7\n")
        try write("scenario-key.yaml", "scenarios:\n  - name: a\n    request: {model: m}\n    fautls: {}\n")
        try write("scenario-fault.yaml", "scenarios:\n  - name: a\n    request: {model: m}\n    faults: {m: {x: 1}}\n")
        try write("faults-syntax.yaml", "models:\n  gpt: [cut:after=1\n")
        try write("faults-types.yaml", "default: cut:after=x\n")
        try write("faults-spec.yaml", "default:\n  fault: nope\n")
        let demo = try String(contentsOf: Fixtures.url("cassettes/demo.jsonl"), encoding: .utf8).split(separator: "\n")
        try write("bad.jsonl", "\(demo[0])\n{\"id\": \"x\", oops\n\(demo[1])\n")
        try write("bad.har", #"{"log":{"version":"1.2","entries":[{"request":{"method":"POST","url":"http://x/v1/chat/completions"},"response":"nope"}]}}"#)
        try write("cut.har", "{\"log\": [")
        try write("bad-vcr.yaml", "interactions:\n- request: {method: POST, uri: \"http://x/v1/chat/completions\", body: \"{}\"}\n  response: 5\n")
        try write("text.sqlite", "hello, this is not a database at all")
        try write("empty.sqlite", "")

        // A real cassette, then damaged copies of it.
        let good = folder.appendingPathComponent("good.sqlite").path
        let imported = try TapedeckProcess.run(["cassette", "import", "fixtures/cassettes/demo.jsonl", "--into", good])
        guard imported.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["stderr": imported.stderr]) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        // The SQLite header keeps user_version (the cassette format version) at bytes 60–63.
        var newer = bytes
        newer.replaceSubrange(60..<64, with: [0, 0, 0, 99])
        try newer.write(to: folder.appendingPathComponent("newer.sqlite"))
        bytes = bytes.prefix(3000)
        try bytes.write(to: folder.appendingPathComponent("truncated.sqlite"))
        let foreign = try DatabaseQueue(path: folder.appendingPathComponent("foreign.sqlite").path)
        try foreign.write { try $0.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY)") }
        try foreign.close()
        return folder
    }
}

/// A loopback socket bound and listening, to hold a port.
struct ListeningSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = LoopbackSocket.streamSocket()
        var address = LoopbackSocket.address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 1) == 0 else { throw CocoaError(.fileWriteUnknown) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
