import Hummingbird

/// Gives a request for a path the gateway does not serve a 404 whose body names the path and the
/// endpoints it does serve (Hummingbird's own 404 has no body).
struct UnknownPathMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            let served = (ClientEndpoint.allCases.map { "POST \($0.path)" } + ["GET /health"]).joined(separator: ", ")
            throw HTTPError(.notFound, message: "tapedeck route: no endpoint at \(request.method) \(request.uri.path); it serves \(served)")
        }
    }
}
