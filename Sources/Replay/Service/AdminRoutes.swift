import Dialects
import Faults
import Foundation

/// The replay server's own endpoints under `/_tapedeck/`.
enum AdminRoutes {
    static let prefix = "/_tapedeck/"

    static func respond(to request: ReplayRequest, service: ReplayService) async -> WirePlan {
        switch (request.method, String(request.route)) {
        case ("GET", "/_tapedeck/attempts"):
            do {
                return PlainResponses.bytes(status: 200, contentType: "application/json", try await service.ledger.json())
            } catch {
                return PlainResponses.json(status: 500, ["error": ["message": "the ledger cannot be encoded: \(error)"]])
            }
        case ("DELETE", "/_tapedeck/attempts"):
            await service.resetAttempts()
            return PlainResponses.json(status: 200, ["attempts": []])
        case ("GET", "/_tapedeck/health"):
            return PlainResponses.json(status: 200, ["status": "ok"])
        default:
            return PlainResponses.json(status: 404, [
                "error": ["message": "tapedeck replay: \(request.method) \(request.route) is not an admin endpoint (GET/DELETE /_tapedeck/attempts, GET /_tapedeck/health)"],
            ])
        }
    }
}

/// Fixed-length responses the server answers itself.
enum PlainResponses {
    static func bytes(status: Int, contentType: String, _ body: [UInt8]) -> WirePlan {
        WirePlan(steps: [
            .head(status: status, headers: [HTTPField("content-type", contentType), HTTPField("content-length", String(body.count))]),
            .write(body), .finish,
        ])
    }

    static func json(status: Int, _ value: JSONValue) -> WirePlan {
        bytes(status: status, contentType: "application/json", JSONWriter.bytes(value))
    }

    static func error(_ response: ProviderErrorResponse) -> WirePlan {
        var headers = response.headers.filter { $0.name != "content-length" }
        headers.append(HTTPField("content-length", String(response.body.count)))
        return WirePlan(steps: [.head(status: response.status, headers: headers), .write(response.body), .finish])
    }
}
