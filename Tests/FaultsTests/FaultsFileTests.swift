import Faults
import Testing

@Suite("Faults file")
struct FaultsFileTests {
    @Test("the example file loads and drives the fault book")
    func exampleFile() throws {
        let file = try FaultsFile.load(path: Fixtures.url("faults/example.yaml").path)
        #expect(file.seed == 7)
        #expect(file.models.count == 5)
        var book = file.book()
        #expect(book.seed == 7)
        #expect(book.decide(model: "primary-model", at: .zero).fault.description == "cut:after=40")
        #expect(book.decide(model: "primary-model", at: .zero).fault.description == "ok")
        #expect(book.decide(model: "flaky-model", at: .seconds(59)).fault.description == "http_error:status=503,retry_after=5")
        #expect(book.decide(model: "flaky-model", at: .seconds(90)).fault.description == "error_event:kind=overloaded,after=3")
        #expect(book.decide(model: "flaky-model", at: .milliseconds(90_500)).fault.description == "ok")
        #expect(book.decide(model: "broken-model", at: .zero).fault.description == "http_error:status=500")
        #expect(book.decide(model: "unlisted", at: .zero).source == .schedule)
        #expect(book.capabilities(of: "claude-sonnet-4-6").contains(.rejectsPrefill))
        #expect(!book.capabilities(of: "primary-model").contains(.rejectsPrefill))
        #expect(book.decide(model: "claude-sonnet-4-6", at: .zero).fault.description == "ok")
    }

    @Test("a seed from the command line wins over the file's, and draws follow it")
    func seedOverride() throws {
        let file = try FaultsFile.load(path: Fixtures.url("faults/example.yaml").path)
        func draws(_ seed: UInt64?) -> [String] {
            var book = file.book(seed: seed)
            return (0..<64).map { _ in book.decide(model: "random-model", at: .zero).fault.description }
        }
        #expect(file.book(seed: 99).seed == 99)
        #expect(draws(nil) == draws(7))
        #expect(draws(nil) != draws(8))
    }

    @Test("capability flags add to the file's")
    func extraCapabilities() throws {
        let file = try FaultsFile(yaml: "models: {}", file: "f.yaml")
        let book = file.book(extraCapabilities: [(model: "m", capability: .rejectsPrefill)])
        #expect(book.capabilities(of: "m").contains(.rejectsPrefill))
    }

    @Test("schedules may be written without quotes, and an empty file has no faults")
    func plainSpellings() throws {
        let file = try FaultsFile(yaml: "models:\n  m:\n    schedule: [cut:after=40, ok]\n", file: "f.yaml")
        var book = file.book()
        #expect(book.decide(model: "m", at: .zero).fault.description == "cut:after=40")
        let empty = try FaultsFile(yaml: "", file: "empty.yaml")
        #expect(empty.models.isEmpty && empty.defaultRule == nil && empty.seed == nil)
    }

    @Test("file errors name the file, the line and the problem", arguments: [
        ("models: [", "faults file 'f.yaml' line 2 is not valid YAML: while parsing a flow node, did not find expected node content"),
        ("seeds: 1", "faults file 'f.yaml' line 1: the top level: unknown key 'seeds'; expected seed, default, models"),
        ("seed: -1", "faults file 'f.yaml' line 1: 'seed' must be a non-negative integer"),
        ("- 1", "faults file 'f.yaml' line 1: the top level must be a mapping of seed, default, models"),
        ("models: [a]", "faults file 'f.yaml' line 1: 'models' must map model names to their faults"),
        ("models:\n  m:\n    schedul: [ok]", "faults file 'f.yaml' line 3: model 'm': unknown key 'schedul'; expected "
            + "schedule, windows, fault, probability, capabilities"),
        ("models:\n  m:\n    schedule: [ok, \"cut:after=x\"]",
         "faults file 'f.yaml' line 3: model 'm': fault spec 'cut:after=x': 'after' must be a non-negative integer"),
        ("models:\n  m:\n    schedule: ok", "faults file 'f.yaml' line 3: model 'm': 'schedule' must be a non-empty list "
            + "of fault specs, one per attempt"),
        ("models:\n  m:\n    schedule: [ok]\n    fault: ok", "faults file 'f.yaml' line 3: model 'm': give only one of "
            + "schedule, windows or fault (found schedule, fault)"),
        ("models:\n  m:\n    fault: ok\n    probability: 1.5", "faults file 'f.yaml' line 4: model 'm': 'probability' "
            + "must be a number from 0 to 1"),
        ("models:\n  m:\n    probability: 0.5", "faults file 'f.yaml' line 3: model 'm': 'probability' needs a 'fault' to apply"),
        ("models:\n  m:\n    windows: [{for: 60}]", "faults file 'f.yaml' line 3: model 'm': each window needs 'for' "
            + "(seconds) and 'fault' (a spec)"),
        ("models:\n  m:\n    windows:\n      - {for: soon, fault: ok}", "faults file 'f.yaml' line 4: model 'm': window "
            + "'for' must be a positive number of seconds, e.g. 60 or 0.5"),
        ("models:\n  m:\n    windows: [{for: 1, fault: ok, until: 2}]", "faults file 'f.yaml' line 3: model 'm' window: "
            + "unknown key 'until'; expected for, fault"),
        ("models:\n  m:\n    capabilities: [flies]", "faults file 'f.yaml' line 3: model 'm': unknown capability "
            + "'flies'; known: rejects_prefill"),
        ("models:\n  m:\n    fault: [ok]", "faults file 'f.yaml' line 3: model 'm': a fault must be a spec string "
            + "such as \"cut:after=40\" or ok"),
        ("models:\n  m: {fault: ok}\n  m: {fault: ok}", "faults file 'f.yaml' line 3: model 'm' is listed twice"),
        ("default:\n  fault: nope", "faults file 'f.yaml' line 2: 'default': fault spec 'nope': unknown kind 'nope'; "
            + "known kinds are ok, http_error, reset_before_headers, no_response, slow_first_byte, error_event, cut, "
            + "reset, stall, malformed, drop_terminator, slow_drip"),
    ])
    func errors(yaml: String, message: String) {
        do {
            let file = try FaultsFile(yaml: yaml, file: "f.yaml")
            Issue.record("parsed \(file.models.keys.sorted())")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("a missing file is reported with its path")
    func missingFile() {
        do {
            _ = try FaultsFile.load(path: "/nonexistent/faults.yaml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description.hasPrefix("faults file '/nonexistent/faults.yaml' cannot be read: "))
        }
    }
}
