import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RouterGateway
import Routing
import Testing

/// An upstream in memory: every deployment answers completely, in the request's own dialect.
struct InMemoryTransport: UpstreamTransport {
    func send(_ request: UpstreamRequest) -> UpstreamEvents {
        let outcome = Outcome(
            dialect: request.dialect, model: "in-memory-model", text: answer, finishReason: .stop,
            usage: Usage(inputTokens: 3, outputTokens: 20), terminated: true)
        let codec = request.dialect.codec
        guard request.stream else {
            return UpstreamEvents([.head(status: 200, headers: []), .body(JSONWriter.bytes(codec.body(for: outcome))), .end])
        }
        let frames = codec.streamEvents(for: outcome).map { UpstreamEvent.frame(codec.encoder.encode($0)) }
        return UpstreamEvents([.head(status: 200, headers: [])] + frames + [.end])
    }
}

/// The gateway in Hummingbird's `.router` mode: requests go straight to the router, no socket.
func withRouterModeGateway(settings: GatewaySettings = GatewaySettings(), _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    // Nothing here tests timeouts: long ones, so a test starved by a busy machine cannot time out
    // mid-stream and fall back.
    let yaml = gatewayConfig(base: "http://unused.invalid", timeout: 120, idleTimeout: 120)
    let config = try RouterConfigLoader.parse(yaml: yaml, file: "gateway-test.yaml", environment: [:]).config
    let application = buildGatewayApplication(config: config, transport: InMemoryTransport(), settings: settings)
    try await application.test(.router) { client in try await test(client) }
}

func headers(_ pairs: [(String, String)]) -> HTTPFields {
    var fields = HTTPFields()
    for (name, value) in pairs {
        if let name = HTTPTypes.HTTPField.Name(name) { fields.append(HTTPTypes.HTTPField(name: name, value: value)) }
    }
    return fields
}

@Suite("Gateway in router mode", .timeLimit(.minutes(1)))
struct GatewayRouterModeTests {
    @Test("GET /health answers 200 without a key")
    func health() async throws {
        try await withRouterModeGateway { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "{\"status\":\"ok\"}")
        }
    }

    @Test("a missing or unknown key gets a 401 in the endpoint's own error shape", arguments: [Dialect.openAIChat, .openAIResponses, .anthropicMessages])
    func unauthorized(dialect: Dialect) async throws {
        try await withRouterModeGateway { client in
            for key in [nil, "sk-wrong"] as [String?] {
                let fields = headers([("content-type", "application/json")] + (key.map { [("authorization", "Bearer \($0)")] } ?? []))
                let response = try await client.execute(
                    uri: GatewayClient.path(dialect), method: .post, headers: fields,
                    body: ByteBuffer(bytes: GatewayClient.requestBody(dialect, model: "primary", stream: true)))
                #expect(response.status == .unauthorized)
                let outcome = dialect.codec.outcome(fromBody: Array(response.body.readableBytesView), status: 401)
                #expect(outcome.error?.kind == .auth, "\(dialect.rawValue), key \(key ?? "none")")
                let json = try JSONValue.parse(Array(response.body.readableBytesView))
                if dialect == .anthropicMessages {
                    #expect(json["type"] == "error" && json["error"]?["type"] == "authentication_error")
                } else {
                    #expect(json["error"]?["message"]?.stringValue?.isEmpty == false)
                }
            }
        }
    }

    @Test("the master key as a bearer token and a listed key as x-api-key are both accepted, in both modes")
    func authorized() async throws {
        try await withRouterModeGateway { client in
            for (dialect, pair) in [(Dialect.openAIChat, ("authorization", "Bearer sk-master")), (.anthropicMessages, ("x-api-key", "sk-team"))] {
                for stream in [true, false] {
                    let response = try await client.execute(
                        uri: GatewayClient.path(dialect), method: .post, headers: headers([("content-type", "application/json"), pair]),
                        body: ByteBuffer(bytes: GatewayClient.requestBody(dialect, model: "primary", stream: stream)))
                    #expect(response.status == .ok, "\(dialect.rawValue), stream \(stream)")
                    let contentType = response.headers[.contentType]
                    #expect(contentType == (stream ? "text/event-stream" : "application/json"))
                    #expect(response.headers[HTTPTypes.HTTPField.Name("x-tapedeck-request-id")!]?.isEmpty == false)
                    let answerOutcome = GatewayClient.Answer(
                        status: 200, headers: [Dialects.HTTPField("content-type", contentType ?? "")], body: Array(response.body.readableBytesView)
                    ).outcome(dialect)
                    #expect(answerOutcome.text == answer)
                }
            }
        }
    }

    @Test("a request body over the limit gets a 413 in the endpoint's error shape")
    func tooLarge() async throws {
        try await withRouterModeGateway(settings: GatewaySettings(maxRequestBodyBytes: 64)) { client in
            let response = try await client.execute(
                uri: "/v1/messages", method: .post, headers: headers([("x-api-key", "sk-master")]),
                body: ByteBuffer(bytes: GatewayClient.requestBody(.anthropicMessages, model: "primary", stream: false)))
            #expect(response.status == .contentTooLarge)
            let json = try JSONValue.parse(Array(response.body.readableBytesView))
            #expect(json["type"] == "error")
        }
    }

    @Test("a model that is not in the config is a 400 naming the known groups")
    func unknownModel() async throws {
        try await withRouterModeGateway { client in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: headers([("authorization", "Bearer sk-master")]),
                body: ByteBuffer(bytes: GatewayClient.requestBody(.openAIChat, model: "nope", stream: true)))
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains("primary, backup, claude"))
        }
    }
}
