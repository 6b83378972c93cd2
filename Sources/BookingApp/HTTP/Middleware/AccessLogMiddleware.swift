import Vapor

/// One line per request, after its answer: method, path, route pattern, client address, status and
/// duration, tagged with the request id. Sits outside the error middleware, so failed requests are
/// logged with their real status.
struct AccessLogMiddleware: AsyncMiddleware {
    let server: ServerContext

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next.respond(to: request)
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        request.logger.info("\(request.method.rawValue) \(request.url.path) \(response.status.code)", metadata: [
            "method": .string(request.method.rawValue),
            "route": .string(request.routePattern),
            "client": .string(server.clientAddress(of: request)),
            "status": .stringConvertible(response.status.code),
            "duration_ms": .string(String(format: "%.2f", milliseconds)),
        ])
        return response
    }
}

extension Request {
    /// The matched route with its parameters as placeholders (`/bookings/:id`), never raw ids;
    /// `unmatched` for a path no route serves.
    var routePattern: String {
        guard let route else { return "unmatched" }
        return "/" + route.path.map(\.description).joined(separator: "/")
    }
}
