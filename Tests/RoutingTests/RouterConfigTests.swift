import Foundation
import Testing

@testable import Routing

@Suite("Router config loading")
struct RouterConfigTests {
    let environment = ["OPENAI_API_KEY": "sk-openai", "ANTHROPIC_API_KEY": "sk-ant", "GEMINI_API_KEY": "g-key"]

    @Test("the demo fixture loads deployments, merged settings, keys and the master key")
    func demoFixture() throws {
        let loaded = try RouterConfigLoader.load(contentsOf: Fixtures.url("routers/demo.yaml"), environment: environment)
        let config = loaded.config
        #expect(config.groups == ["gpt-4o", "claude-sonnet", "gemini-flash"])
        let openai = try #require(config.deployments(in: "gpt-4o").first)
        #expect(openai.provider == .openai && openai.model == "gpt-4o")
        #expect(openai.apiBase == "http://127.0.0.1:8788/openai/v1")
        #expect(openai.apiKey == "sk-openai")
        #expect(openai.timeout == .seconds(30) && openai.streamTimeout == .seconds(10))
        #expect(openai.id == "gpt-4o[0]")
        let claude = try #require(config.deployments(in: "claude-sonnet").first)
        #expect(claude.provider == .anthropic && claude.model == "claude-sonnet-4-6")
        #expect(claude.supportsAssistantPrefill == false)
        let gemini = try #require(config.deployments(in: "gemini-flash").first)
        #expect(gemini.provider == .gemini && gemini.supportsAssistantPrefill == nil)

        // router_settings wins over litellm_settings defaults.
        #expect(config.settings.numRetries == 1)
        #expect(config.settings.retryPolicy?[.rateLimit] == 2)
        #expect(config.settings.fallbacks?.targets(for: "gpt-4o") == ["claude-sonnet", "gemini-flash"])
        #expect(config.settings.contextWindowFallbacks?.targets(for: "gpt-4o") == ["gemini-flash"])
        #expect(config.settings.allowedFails == 3 && config.settings.cooldownTime == .seconds(30))
        #expect(config.settings.midStreamFallback == .continue && config.settings.continuation == .auto)
        #expect(config.settings.streamFirstTokenTimeout == .seconds(20))
        #expect(config.settings.streamIdleTimeout == .seconds(15))
        #expect(config.masterKey == "sk-tapedeck-demo")

        // The key's settings win over the global ones, field by field.
        let keyed = config.settings(forKey: "sk-team-gemini-first")
        #expect(keyed.fallbacks?.targets(for: "gpt-4o") == ["gemini-flash", "claude-sonnet"])
        #expect(keyed.numRetries == 0)
        #expect(keyed.cooldownTime == .seconds(30))
        #expect(config.settings(forKey: "sk-unknown").numRetries == 1)

        #expect(config.authorizes(key: "sk-tapedeck-demo"))
        #expect(config.authorizes(key: "sk-team-gemini-first"))
        #expect(!config.authorizes(key: "sk-nope") && !config.authorizes(key: nil))

        #expect(loaded.warnings.map(\.key) == ["litellm_settings.drop_params"])
        #expect(loaded.warnings.first?.line == 39)
    }

    @Test("the load-balanced fixture keeps both deployments in order and resolves keys from the file's environment_variables")
    func loadBalancedFixture() throws {
        let loaded = try RouterConfigLoader.load(
            contentsOf: Fixtures.url("routers/load-balanced.yaml"), environment: ["TAPEDECK_MASTER_KEY": "sk-master"])
        let config = loaded.config
        #expect(config.deployments(in: "claude-sonnet").map(\.id) == ["sonnet-primary", "sonnet-secondary"])
        #expect(config.deployments(in: "claude-sonnet").map(\.numRetries) == [2, nil])
        #expect(config.deployments(in: "gpt-4o-mini").first?.apiKey == "sk-backup-from-file")
        #expect(config.settings.defaultFallbacks == ["gpt-4o-mini"])
        #expect(config.settings.midStreamFallback == .restart)
        #expect(config.settings.maxFallbacks == 2)
        #expect(config.masterKey == "sk-master")
        // ANTHROPIC_API_KEY is missing: warned about (twice, once per deployment), the key left empty.
        #expect(config.deployments(in: "claude-sonnet").allSatisfy { $0.apiKey == nil })
        #expect(loaded.warnings.filter { $0.message.contains("ANTHROPIC_API_KEY") }.map(\.line) == [11, 20])
    }

    @Test("unknown keys anywhere become warnings naming their line, and are otherwise ignored")
    func unknownKeysWarn() throws {
        let yaml = """
            model_list:
              - model_name: a
                litellm_params:
                  model: openai/gpt-4o
                  rpm: 100
                model_info:
                  mode: chat
                tags: [x]
            router_settings:
              routing_strategy: simple-shuffle
              fallback: [{"a": ["a"]}]
            general_settings:
              database_url: postgres://nowhere
            surprise: 1
            """
        let loaded = try RouterConfigLoader.parse(yaml: yaml, file: "c.yaml", environment: [:])
        let found = loaded.warnings.map { "\($0.line) \($0.key)" }
        #expect(
            found == [
                "5 model_list[0].litellm_params.rpm", "7 model_list[0].model_info.mode", "8 model_list[0].tags",
                "10 router_settings.routing_strategy", "11 router_settings.fallback", "13 general_settings.database_url",
                "14 surprise",
            ])
        #expect(loaded.warnings[0].description == "c.yaml:5: warning: model_list[0].litellm_params.rpm: not used by Tapedeck's router; ignored.")
        #expect(loaded.config.settings.fallbacks == nil)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let name: String
        let yaml: String
        let line: Int
        let message: String
        var testDescription: String { name }
    }

    static let minimalModelList = """
        model_list:
          - model_name: a
            litellm_params: {model: openai/gpt-4o}
          - model_name: b
            litellm_params: {model: anthropic/claude-sonnet-4-6}
        """

    static let invalidCases: [InvalidCase] = [
        InvalidCase(
            name: "a word where a count belongs", yaml: minimalModelList + "\nrouter_settings:\n  num_retries: three\n", line: 7,
            message: "c.yaml:7: router_settings.num_retries: expected a whole number, got \"three\"."),
        InvalidCase(
            name: "a negative count", yaml: minimalModelList + "\nrouter_settings:\n  allowed_fails: -1\n", line: 7,
            message: "c.yaml:7: router_settings.allowed_fails: must be at least 0, got -1."),
        InvalidCase(
            name: "an unknown mid-stream policy", yaml: minimalModelList + "\nrouter_settings:\n  mid_stream_fallback: sometimes\n",
            line: 7,
            message:
                "c.yaml:7: router_settings.mid_stream_fallback: expected one of continue, restart, disabled, got \"sometimes\"."),
        InvalidCase(
            name: "a zero timeout", yaml: minimalModelList + "\nrouter_settings:\n  stream_idle_timeout: 0\n", line: 7,
            message: "c.yaml:7: router_settings.stream_idle_timeout: must be a positive number of seconds, got 0.0."),
        InvalidCase(
            name: "a fallback to a group that does not exist",
            yaml: minimalModelList + "\nrouter_settings:\n  fallbacks:\n    - a: [b, c]\n", line: 8,
            message: "c.yaml:8: router_settings.fallbacks[0].a: fallback target \"c\" is not a model_name in model_list."),
        InvalidCase(
            name: "a key-level fallback to a group that does not exist",
            yaml: minimalModelList + "\nkeys:\n  - key: k\n    router_settings:\n      fallbacks: [{a: [zz]}]\n", line: 9,
            message: "c.yaml:9: keys[0].router_settings.fallbacks[0].a: fallback target \"zz\" is not a model_name in model_list."),
        InvalidCase(
            name: "an unsupported provider",
            yaml: "model_list:\n  - model_name: a\n    litellm_params:\n      model: bedrock/claude\n", line: 4,
            message:
                "c.yaml:4: model_list[0].litellm_params.model: provider \"bedrock\" is not supported by Tapedeck's router (supported: openai/, anthropic/, gemini/)."
        ),
        InvalidCase(
            name: "a deployment without model_name",
            yaml: "model_list:\n  - litellm_params:\n      model: openai/gpt-4o\n", line: 2,
            message: "c.yaml:2: model_list[0].model_name is required but missing."),
        InvalidCase(
            name: "a missing model_list", yaml: "router_settings:\n  num_retries: 1\n", line: 1,
            message: "c.yaml:1: model_list is required but missing."),
        InvalidCase(
            name: "a key listed twice in one mapping",
            yaml: minimalModelList + "\nrouter_settings:\n  num_retries: 1\n  num_retries: 2\n", line: 8,
            message: "c.yaml:8: router_settings.num_retries: the key appears twice in one mapping."),
        InvalidCase(
            name: "a non-boolean capability",
            yaml: "model_list:\n  - model_name: a\n    litellm_params: {model: openai/gpt-4o}\n    model_info:\n      supports_assistant_prefill: maybe\n",
            line: 5,
            message:
                "c.yaml:5: model_list[0].model_info.supports_assistant_prefill: expected true or false, got \"maybe\"."),
        InvalidCase(
            name: "broken YAML", yaml: "model_list:\n  - model_name: a\n   litellm_params: [\n", line: 3,
            message: ""),
    ]

    @Test("invalid values are errors naming the file, the YAML line and the key", arguments: invalidCases)
    func invalidValues(_ testCase: InvalidCase) throws {
        let error = try #require(throws: RouterConfigError.self) {
            try RouterConfigLoader.parse(yaml: testCase.yaml, file: "c.yaml", environment: [:])
        }
        #expect(error.line == testCase.line)
        if testCase.message.isEmpty {
            #expect(error.description.hasPrefix("c.yaml:\(testCase.line): not valid YAML"))
        } else {
            #expect(error.description == testCase.message)
        }
    }

    @Test("an open router (no master key, no keys) accepts any client key")
    func openRouter() throws {
        let config = try RouterConfigLoader.parse(yaml: Self.minimalModelList, file: "c.yaml", environment: [:]).config
        #expect(config.authorizes(key: nil) && config.authorizes(key: "anything"))
    }

    @Test("bare model names get their provider from the name; provider-prefixed ones keep the rest as the upstream name")
    func providerInference() throws {
        let yaml = """
            model_list:
              - {model_name: a, litellm_params: {model: gpt-4o-mini}}
              - {model_name: b, litellm_params: {model: claude-3-5-haiku}}
              - {model_name: c, litellm_params: {model: gemini-2.0-flash}}
              - {model_name: d, litellm_params: {model: openai/ft:gpt-4o/org/x}}
            """
        let config = try RouterConfigLoader.parse(yaml: yaml, file: "c.yaml", environment: [:]).config
        #expect(config.deployments.map(\.provider) == [.openai, .anthropic, .gemini, .openai])
        #expect(config.deployments.last?.model == "ft:gpt-4o/org/x")
    }

    @Test("a deployment's description never contains its key")
    func descriptionHidesKey() throws {
        let config = try RouterConfigLoader.parse(
            yaml: "model_list:\n  - {model_name: a, litellm_params: {model: openai/gpt-4o, api_key: sk-very-secret}}\n",
            file: "c.yaml", environment: [:]
        ).config
        let deployment = try #require(config.deployments.first)
        #expect(deployment.apiKey == "sk-very-secret")
        #expect(!"\(deployment)".contains("sk-very-secret"))
    }
}
