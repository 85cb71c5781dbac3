import Dialects
import Hummingbird
import Logging
import NIOCore
import Routing

/// Builds the gateway: the client endpoints (`/v1/chat/completions`, `/v1/responses`,
/// `/v1/messages`, stream and not) in front of `router`, and `GET /health`. Used by
/// `tapedeck route` and by tests (Hummingbird's `.router` and `.live` modes).
///
/// - Parameter onServerRunning: called with the listening channel once the port is bound (its
///   `localAddress` tells the port picked for port 0).
public func buildGatewayApplication(
    router: Routing.Router, settings: GatewaySettings = GatewaySettings(), logger: Logger = Logger(label: "tapedeck.gateway"),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let responder = GatewayResponder(router: router, settings: settings)
    let routes = Hummingbird.Router(context: GatewayRequestContext.self)
    routes.add(middleware: UnknownPathMiddleware())
    routes.get("/health") { _, _ -> Response in
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
    }
    for endpoint in ClientEndpoint.allCases {
        routes.post(RouterPath(endpoint.path)) { request, context in
            try await responder.respond(to: request, context: context, endpoint: endpoint)
        }
    }
    return Application(
        router: routes,
        server: .http1(configuration: .init(additionalChannelHandlers: [ClientHangupHandler(), MalformedRequestAnswer()])),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: settings.serverName),
        onServerRunning: onServerRunning,
        logger: logger)
}

/// Builds the gateway with a new `Router` over `config` and `transport`.
public func buildGatewayApplication(
    config: RouterConfig, transport: any UpstreamTransport, settings: GatewaySettings = GatewaySettings(),
    clock: any RouterClock = SystemRouterClock(), logger: Logger = Logger(label: "tapedeck.gateway"),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Routing.Router(config: config, transport: transport, clock: clock, logger: logger)
    return buildGatewayApplication(router: router, settings: settings, logger: logger, onServerRunning: onServerRunning)
}
