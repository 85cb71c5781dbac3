import Dialects
import Testing

@testable import Analysis

@Suite("Scenario files")
struct ScenarioFileTests {
    @Test("a scenario file gives scenarios with requests, faults and capabilities")
    func parsesScenarios() throws {
        let scenarios = try ScenarioFile.parse("""
            scenarios:
              - name: midstream-429
                request: {model: chat, messages: [{role: user, content: "Capital of France?"}], max_tokens: 64, temperature: 0.5, disable_fallbacks: true}
                faults: {primary-model: "error_event:kind=rate_limit,after=3"}
                capabilities: {noprefill-model: [rejects_prefill]}
              - name: responses
                endpoint: /v1/responses
                request: {model: chat, input: "Hello", stream: true, user: '42'}
                faults:
                  primary-model: ["cut:after=4", ok]
            """, file: "s.yaml")
        #expect(scenarios.count == 2)
        let first = scenarios[0]
        #expect(first.request["max_tokens"] == .int(64))
        #expect(first.request["temperature"] == .double(0.5))
        #expect(first.request["messages"]?[0]?["content"] == "Capital of France?")
        #expect(first.faults == ["primary-model": ["error_event:kind=rate_limit,after=3"]])
        #expect(first.capabilities == ["noprefill-model": ["rejects_prefill"]])
        #expect(first.context.disableFallbacks)
        #expect(first.dialect == .openAIChat)
        let second = scenarios[1]
        #expect(second.request["stream"] == nil, "the analyzer sets the mode, never the file")
        #expect(second.request["user"] == "42", "quoted scalars stay strings")
        #expect(second.faults["primary-model"] == ["cut:after=4", "ok"])
        #expect(second.dialect == .openAIResponses)
    }

    @Test("errors name the file, the line and the problem", arguments: [
        ("scenarios: 3", "s.yaml, line 1: `scenarios` must be a list."),
        ("scenarios:\n  - name: a\n    request: {messages: []}", "s.yaml, line 3: scenario `a`: `request.model` is required."),
        ("scenarios:\n  - name: a\n    request: {model: m}\n    fautls: {}", "s.yaml, line 4: unknown scenario key `fautls` (expected one of: api_key, capabilities, description, endpoint, faults, interaction, name, request)."),
        ("scenarios:\n  - name: a\n    request: {model: m}\n  - name: a\n    request: {model: m}", "s.yaml, line 4: scenario name `a` is used twice."),
        ("scenarios:\n  - name: a\n    endpoint: /v2/chat\n    request: {model: m}", "s.yaml, line 3: scenario `a`: endpoint must be /v1/chat/completions, /v1/responses or /v1/messages, not /v2/chat."),
        ("scenarios:\n  - name: a\n    request: {model: m}\n    faults: {m: {x: 1}}", "s.yaml, line 4: scenario `a`: `faults.m` must be a string or a list of strings."),
        ("nothing: here", "s.yaml, line 1: missing the `scenarios` list."),
    ])
    func errors(text: String, message: String) {
        #expect(throws: ScenarioFileError.self) { try ScenarioFile.parse(text, file: "s.yaml") }
        do {
            _ = try ScenarioFile.parse(text, file: "s.yaml")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test("invalid YAML is reported with the file name")
    func invalidYAML() {
        do {
            _ = try ScenarioFile.parse("scenarios: [unclosed", file: "bad.yaml")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("bad.yaml is not valid YAML"))
        }
    }
}
