import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("tapedeck route")
struct RouteCommandTests {
    @Test("serves /health, prints the config's warnings to stderr, and exits 0 on SIGTERM")
    func servesAndStops() async throws {
        let scratch = try ScratchDirectory("route")
        defer { scratch.remove() }
        let folder = scratch.url
        let config = folder.appendingPathComponent("config.yaml")
        try """
            model_list:
              - model_name: gpt
                litellm_params: {model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1"}
            litellm_settings:
              drop_params: true
            """.write(to: config, atomically: true, encoding: .utf8)

        let route = try ServerProcess(["route", "--config", config.path, "--listen", "127.0.0.1:0"])
        let port = try #require(route.port(), "tapedeck route never said where it listens: \(route.stderr)")
        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self) == "{\"status\":\"ok\"}")
        #expect(route.stop() == 0)
        try Data(route.stderr.utf8).write(to: scratch.file("route.log"))
        #expect(route.stderr.contains("config.yaml:5: warning: litellm_settings.drop_params"))
    }

    @Test("an invalid config is one sentence naming the file and line, and a non-zero exit")
    func invalidConfig() throws {
        let scratch = try ScratchDirectory("route")
        defer { scratch.remove() }
        let folder = scratch.url
        let config = folder.appendingPathComponent("broken.yaml")
        try "model_list:\n  - model_name: a\n    litellm_params: {model: openai/gpt-4o}\nrouter_settings:\n  num_retries: three\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let result = try TapedeckProcess.run(["route", "--config", config.path])
        try Data(result.stderr.utf8).write(to: scratch.file("route.log"))
        #expect(result.status != 0)
        #expect(result.stderr.contains("broken.yaml:5: router_settings.num_retries: expected a whole number, got \"three\"."))
        #expect(result.stdout.isEmpty)
    }
}
