import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Routing

/// Answers one client request by routing it: reads the body, takes the key from the headers,
/// starts the router, and streams the router's parts into the HTTP response as they are produced.
struct GatewayResponder: Sendable {
    let router: Routing.Router
    let settings: GatewaySettings

    func respond(to request: Request, context: GatewayRequestContext, endpoint: ClientEndpoint) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: settings.maxRequestBodyBytes)
        } catch is NIOTooManyBytesError {
            return Self.tooLarge(endpoint.dialect, limit: settings.maxRequestBodyBytes)
        }
        let headers = request.headers.map { Dialects.HTTPField($0.name.canonicalName, $0.value) }
        let clientRequest = ClientRequest(
            dialect: endpoint.dialect, body: Array(body.readableBytesView), apiKey: Self.apiKey(in: request.headers), headers: headers)

        let pipe = ResponsePipe()
        let router = self.router
        let routing = Task {
            _ = await router.route(clientRequest) { part in try await pipe.send(part) }
            pipe.finish()
        }
        // The client going away stops the routing task, which cancels the upstream attempt.
        let hangup = await ClientHangupHandler.watch(of: context.channel)
        let stop: @Sendable () -> Void = {
            routing.cancel()
            pipe.breakOff()
        }
        hangup?.onHangup(stop)

        let head = await withTaskCancellationHandler { await pipe.receive() } onCancel: { stop() }
        guard case .head(let status, let fields)? = head else {
            // The router stopped before answering: only a client that went away does that.
            hangup?.clear()
            return Response(status: .init(code: 499, reasonPhrase: "Client Closed Request"))
        }
        return Response(
            status: HTTPResponse.Status(code: status), headers: Self.fields(fields),
            body: ResponseBody { writer in
                defer { hangup?.clear() }
                try await withTaskCancellationHandler {
                    while let part = await pipe.receive() {
                        guard case .body(let bytes) = part else { continue }
                        do {
                            try await writer.write(ByteBuffer(bytes: bytes))
                        } catch {
                            stop()
                            throw error
                        }
                    }
                    try await writer.finish(nil)
                } onCancel: {
                    stop()
                }
                await routing.value
            })
    }

    /// The key the client authenticated with: `authorization: Bearer …` or `x-api-key`.
    static func apiKey(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        if let name = HTTPTypes.HTTPField.Name("x-api-key"), let key = headers[name] { return key }
        return nil
    }

    /// The router's header list as HTTP fields (names that are not valid tokens are dropped).
    static func fields(_ fields: [Dialects.HTTPField]) -> HTTPFields {
        var result = HTTPFields()
        for field in fields {
            guard let name = HTTPTypes.HTTPField.Name(field.name) else { continue }
            result.append(HTTPTypes.HTTPField(name: name, value: field.value))
        }
        return result
    }

    /// A 413 in the client's dialect.
    static func tooLarge(_ dialect: Dialect, limit: Int) -> Response {
        let error = dialect.codec.errorResponse(
            kind: .badRequest, message: "the request body is larger than the gateway's limit of \(limit) bytes", retryAfter: nil)
        var headers = fields(error.headers.filter { $0.name.lowercased() != "content-length" })
        headers[.connection] = "close"
        return Response(status: .contentTooLarge, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: error.body)))
    }
}
