import Foundation
import Yams

/// Reads a LiteLLM proxy `config.yaml` (plus Tapedeck's additions) into a `RouterConfig`.
///
/// Unknown or unused keys become warnings and are ignored; invalid values are errors naming the
/// file, the YAML line and the key. `os.environ/NAME` values are looked up in the injected
/// environment first, then in the file's own `environment_variables`.
public enum RouterConfigLoader {
    /// Loads a configuration file.
    public static func load(contentsOf url: URL, environment: [String: String]) throws -> LoadedRouterConfig {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw RouterConfigError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        return try parse(yaml: text, file: url.lastPathComponent, environment: environment)
    }

    /// Parses configuration text; `file` is only used to name the source in messages.
    public static func parse(yaml: String, file: String, environment: [String: String]) throws -> LoadedRouterConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw RouterConfigError.syntax(file: file, line: 1, reason: "\(error)")
        }
        guard let root else {
            throw RouterConfigError.missingKey(file: file, line: 1, key: "model_list")
        }
        var reader = ConfigReader(file: file, environment: environment)
        let config = try reader.read(YAMLField(node: root, key: "", file: file))
        let warnings = reader.warnings.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
        return LoadedRouterConfig(config: config, warnings: warnings.map(\.element))
    }

    private static func syntaxError(_ error: YamlError, file: String) -> RouterConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let reason = context.map { "\(problem) \($0.text)" } ?? problem
            return .syntax(file: file, line: mark.line, reason: reason)
        case .reader(let problem, _, _, _):
            return .syntax(file: file, line: 1, reason: problem)
        default:
            return .syntax(file: file, line: 1, reason: "\(error)")
        }
    }
}

/// Which part of the file a block of router settings comes from: each accepts slightly different keys.
private enum SettingsScope {
    case router
    case litellm
    case key
}

/// The walk over one document: accumulates warnings and remembers fallback targets to check once
/// every model group is known.
private struct ConfigReader {
    let file: String
    let environment: [String: String]
    var fileEnvironment: [String: String] = [:]
    var warnings: [RouterConfigWarning] = []
    /// Every group name a fallback list names, with where it was written.
    var fallbackTargets: [(name: String, field: YAMLField)] = []
    /// Every fallback rule key, with where it was written.
    var fallbackKeys: [(name: String, field: YAMLField)] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    mutating func read(_ root: YAMLField) throws -> RouterConfig {
        let entries = try root.mapping()
        let byName = Dictionary(entries.map { ($0.name, $0.field) }, uniquingKeysWith: { first, _ in first })

        if let variables = byName["environment_variables"], !variables.isNull {
            for (name, value) in try variables.mapping() { fileEnvironment[name] = try value.string() }
        }
        var masterKey: String?
        if let general = byName["general_settings"], !general.isNull {
            for (name, value) in try general.mapping() {
                if name == "master_key" { masterKey = try secret(value) } else { warnUnused(value) }
            }
        }
        guard let modelList = byName["model_list"], !modelList.isNull else {
            throw RouterConfigError.missingKey(file: file, line: root.line, key: "model_list")
        }
        let deployments = try readModelList(modelList)

        var litellmDefaults = RouterSettings()
        if let litellm = byName["litellm_settings"], !litellm.isNull {
            litellmDefaults = try readSettings(litellm, scope: .litellm)
        }
        var routerSettings = RouterSettings()
        if let router = byName["router_settings"], !router.isNull {
            routerSettings = try readSettings(router, scope: .router)
        }
        var keys: [KeySettings] = []
        if let keyList = byName["keys"], !keyList.isNull {
            keys = try readKeys(keyList)
        }
        for (name, field) in entries
        where !["environment_variables", "general_settings", "model_list", "litellm_settings", "router_settings", "keys"]
            .contains(name)
        {
            warnUnused(field)
        }

        try checkFallbacks(groups: Set(deployments.map(\.group)))
        return RouterConfig(
            deployments: deployments, settings: routerSettings.overriding(litellmDefaults), keys: keys,
            masterKey: masterKey)
    }

    // MARK: model_list

    private mutating func readModelList(_ field: YAMLField) throws -> [Deployment] {
        let items = try field.sequence()
        guard !items.isEmpty else { throw field.invalid("must list at least one deployment") }
        var deployments: [Deployment] = []
        var ids = Set<String>()
        for item in items {
            let deployment = try readDeployment(item, indexInGroup: { group in deployments.filter { $0.group == group }.count })
            guard ids.insert(deployment.id).inserted else {
                throw item.invalid("deployment id \"\(deployment.id)\" is used twice")
            }
            deployments.append(deployment)
        }
        return deployments
    }

    private mutating func readDeployment(_ item: YAMLField, indexInGroup: (String) -> Int) throws -> Deployment {
        var group: String?
        var params: YAMLField?
        var info: YAMLField?
        for (name, value) in try item.mapping() {
            switch name {
            case "model_name": group = try value.name()
            case "litellm_params": params = value
            case "model_info": info = value
            default: warnUnused(value)
            }
        }
        guard let group else { throw RouterConfigError.missingKey(file: file, line: item.line, key: "\(item.key).model_name") }
        guard let params, !params.isNull else {
            throw RouterConfigError.missingKey(file: file, line: item.line, key: "\(item.key).litellm_params")
        }

        var provider: Provider?
        var model: String?
        var apiBase: String?
        var apiKey: String?
        var timeout: Duration?
        var streamTimeout: Duration?
        var numRetries: Int?
        for (name, value) in try params.mapping() {
            switch name {
            case "model": (provider, model) = try Self.providerModel(value)
            case "api_base": apiBase = value.isNull ? nil : try value.name()
            case "api_key": apiKey = value.isNull ? nil : try secret(value)
            case "timeout": timeout = try value.seconds(allowZero: false)
            case "stream_timeout": streamTimeout = try value.seconds(allowZero: false)
            case "num_retries": numRetries = try value.integer(minimum: 0)
            default: warnUnused(value)
            }
        }
        guard let provider, let model else {
            throw RouterConfigError.missingKey(file: file, line: params.line, key: "\(params.key).model")
        }

        var id: String?
        var supportsPrefill: Bool?
        if let info, !info.isNull {
            for (name, value) in try info.mapping() {
                switch name {
                case "id": id = try value.name()
                case "supports_assistant_prefill": supportsPrefill = try value.bool()
                default: warnUnused(value)
                }
            }
        }
        return Deployment(
            id: id ?? "\(group)[\(indexInGroup(group))]", group: group, provider: provider, model: model,
            apiBase: apiBase, apiKey: apiKey, timeout: timeout, streamTimeout: streamTimeout, numRetries: numRetries,
            supportsAssistantPrefill: supportsPrefill)
    }

    /// `provider/name`, or a bare name whose prefix makes the provider obvious (`gpt-4o`, `claude-…`, `gemini-…`).
    private static func providerModel(_ field: YAMLField) throws -> (Provider, String) {
        let written = try field.name()
        let supported = Provider.allCases.map { "\($0.rawValue)/" }.joined(separator: ", ")
        if let slash = written.firstIndex(of: "/") {
            let prefix = String(written[..<slash])
            let name = String(written[written.index(after: slash)...])
            guard let provider = Provider(rawValue: prefix) else {
                throw field.invalid("provider \"\(prefix)\" is not supported by Tapedeck's router (supported: \(supported))")
            }
            guard !name.isEmpty else { throw field.invalid("the model name after \"\(prefix)/\" is missing") }
            return (provider, name)
        }
        let lower = written.lowercased()
        if ["gpt-", "o1", "o3", "o4", "chatgpt-"].contains(where: lower.hasPrefix) { return (.openai, written) }
        if lower.hasPrefix("claude") { return (.anthropic, written) }
        if lower.hasPrefix("gemini") { return (.gemini, written) }
        throw field.invalid("cannot tell the provider of \"\(written)\"; write it as provider/name with one of \(supported)")
    }

    // MARK: settings

    private mutating func readSettings(_ field: YAMLField, scope: SettingsScope) throws -> RouterSettings {
        var settings = RouterSettings()
        for (name, value) in try field.mapping() {
            if value.isNull && Self.settingNames.contains(name) { continue }
            switch name {
            case "num_retries": settings.numRetries = try value.integer(minimum: 0)
            case "retry_policy": settings.retryPolicy = try readRetryPolicy(value)
            case "fallbacks": settings.fallbacks = try readFallbacks(value)
            case "context_window_fallbacks": settings.contextWindowFallbacks = try readFallbacks(value)
            case "content_policy_fallbacks": settings.contentPolicyFallbacks = try readFallbacks(value)
            case "default_fallbacks":
                let targets = try value.names()
                fallbackTargets += targets.map { ($0, value) }
                settings.defaultFallbacks = targets
            case "allowed_fails", "cooldown_time":
                if scope == .key {
                    warn(value, "deployment cooldowns are shared by every key, so this only works in router_settings; ignored")
                } else if name == "allowed_fails" {
                    settings.allowedFails = try value.integer(minimum: 0)
                } else {
                    settings.cooldownTime = try value.seconds(allowZero: true)
                }
            case "timeout": settings.timeout = try value.seconds(allowZero: false)
            case "request_timeout" where scope == .litellm: settings.timeout = try value.seconds(allowZero: false)
            case "stream_timeout": settings.streamTimeout = try value.seconds(allowZero: false)
            case "stream_first_token_timeout": settings.streamFirstTokenTimeout = try value.seconds(allowZero: false)
            case "stream_idle_timeout": settings.streamIdleTimeout = try value.seconds(allowZero: false)
            case "max_fallbacks": settings.maxFallbacks = try value.integer(minimum: 0)
            case "retry_backoff": settings.retryBackoff = try value.seconds(allowZero: true)
            case "max_retry_delay": settings.maxRetryDelay = try value.seconds(allowZero: true)
            case "mid_stream_fallback": settings.midStreamFallback = try value.choice(MidStreamFallback.self)
            case "continuation": settings.continuation = try value.choice(ContinuationSetting.self)
            default: warnUnused(value)
            }
        }
        return settings
    }

    private static let settingNames: Set<String> = [
        "num_retries", "retry_policy", "fallbacks", "context_window_fallbacks", "content_policy_fallbacks",
        "default_fallbacks", "allowed_fails", "cooldown_time", "timeout", "request_timeout", "stream_timeout",
        "stream_first_token_timeout", "stream_idle_timeout", "max_fallbacks", "retry_backoff", "max_retry_delay",
        "mid_stream_fallback", "continuation",
    ]

    private mutating func readRetryPolicy(_ field: YAMLField) throws -> RetryPolicy {
        var policy = RetryPolicy()
        for (name, value) in try field.mapping() {
            guard let retryClass = RetryClass(rawValue: name) else {
                let known = RetryClass.allCases.map(\.rawValue).joined(separator: ", ")
                warn(value, "not an error class Tapedeck knows (known: \(known)); ignored")
                continue
            }
            policy.counts[retryClass] = try value.integer(minimum: 0)
        }
        return policy
    }

    /// `[{"group": ["target", …]}, …]`, or one mapping of groups to targets.
    private mutating func readFallbacks(_ field: YAMLField) throws -> FallbackMap {
        var rules: [FallbackRule] = []
        let mappings: [YAMLField]
        switch field.node {
        case .sequence: mappings = try field.sequence()
        case .mapping: mappings = [field]
        case .scalar: throw field.invalid("expected a list like [{\"group\": [\"fallback\"]}], got \(field.shape)")
        }
        for mapping in mappings {
            for (group, targetsField) in try mapping.mapping() {
                let targets = try targetsField.names()
                fallbackKeys.append((group, targetsField))
                fallbackTargets += targets.map { ($0, targetsField) }
                rules.append(FallbackRule(group: group, targets: targets))
            }
        }
        return FallbackMap(rules: rules)
    }

    // MARK: keys

    private mutating func readKeys(_ field: YAMLField) throws -> [KeySettings] {
        var keys: [KeySettings] = []
        for item in try field.sequence() {
            var key: String?
            var settings = RouterSettings()
            for (name, value) in try item.mapping() {
                switch name {
                case "key": key = try secret(value)
                case "router_settings": if !value.isNull { settings = try readSettings(value, scope: .key) }
                default: warnUnused(value)
                }
            }
            guard let key else { throw RouterConfigError.missingKey(file: file, line: item.line, key: "\(item.key).key") }
            guard !keys.contains(where: { $0.key == key }) else { throw item.invalid("the same key is listed twice") }
            keys.append(KeySettings(key: key, settings: settings))
        }
        return keys
    }

    // MARK: checks and helpers

    private mutating func checkFallbacks(groups: Set<String>) throws {
        for (name, field) in fallbackTargets where !groups.contains(name) {
            throw field.invalid("fallback target \"\(name)\" is not a model_name in model_list")
        }
        let stripped = Set(groups.compactMap { group in group.firstIndex(of: "/").map { String(group[group.index(after: $0)...]) } })
        for (name, field) in fallbackKeys where name != "*" && !groups.contains(name) && !stripped.contains(name) {
            warn(field, "\"\(name)\" matches no model group, so this fallback entry never applies")
        }
    }

    /// A string that may be written `os.environ/NAME`.
    private mutating func secret(_ field: YAMLField) throws -> String? {
        let value = try field.string()
        let prefix = "os.environ/"
        guard value.hasPrefix(prefix) else { return value }
        let name = String(value.dropFirst(prefix.count))
        if let resolved = environment[name] ?? fileEnvironment[name] { return resolved }
        warn(field, "environment variable \(name) is not set; no key is sent")
        return nil
    }

    private mutating func warnUnused(_ field: YAMLField) {
        warn(field, "not used by Tapedeck's router; ignored")
    }

    private mutating func warn(_ field: YAMLField, _ message: String) {
        warnings.append(RouterConfigWarning(file: file, line: field.line, key: field.key, message: message))
    }
}
