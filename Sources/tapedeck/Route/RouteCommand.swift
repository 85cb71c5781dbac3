import ArgumentParser
import Foundation
import Logging
import RouterGateway
import Routing

/// `tapedeck route`: the fallback router as an HTTP gateway in front of a LiteLLM `config.yaml`.
struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Serve /v1/chat/completions, /v1/responses and /v1/messages through the fallback router.",
        discussion: """
            Reads a LiteLLM proxy config.yaml (see docs/router-config.md), prints its warnings to stderr, \
            and serves until SIGINT or SIGTERM, then stops gracefully and exits 0.
            """
    )

    @Option(help: "The router configuration: a LiteLLM proxy config.yaml.")
    var config: String

    @Option(help: "The address to listen on, host:port (a bare port means loopback; port 0 picks a free one).")
    var listen = ListenAddress(host: "127.0.0.1", port: 4000)

    func run() async throws {
        try requireFile(config)
        let loaded = try RouterConfigLoader.load(
            contentsOf: URL(fileURLWithPath: config), environment: ProcessInfo.processInfo.environment)
        for warning in loaded.warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }

        var logger = Logger(label: "tapedeck.route")
        logger.logLevel = .warning
        let transport = HTTPUpstreamTransport(logger: logger)
        let settings = GatewaySettings(host: listen.host, port: listen.port)
        let application = buildGatewayApplication(config: loaded.config, transport: transport, settings: settings, logger: logger) { channel in
            let port = channel.localAddress?.port ?? settings.port
            // Written unbuffered: scripts wait for this line to learn the port.
            FileHandle.standardOutput.write(Data("tapedeck route: listening on http://\(settings.host):\(port)\n".utf8))
        }
        do {
            try await runGateway(application, logger: logger) {
                let signal = await SignalWaiter.wait()
                FileHandle.standardError.write(Data("tapedeck route: \(signal) received, stopping\n".utf8))
            }
        } catch {
            // The HTTP client must be shut down on every path: dropping it open traps.
            try? await transport.shutdown()
            throw CLIError("tapedeck route cannot serve on \(listen): \(error)")
        }
        try await transport.shutdown()
    }
}
