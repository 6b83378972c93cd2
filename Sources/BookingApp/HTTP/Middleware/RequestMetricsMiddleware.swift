import Vapor

/// Counts every answered request and its latency by method, route pattern and status. Sits outside the
/// error middleware, so failures are counted under their real status.
struct RequestMetricsMiddleware: AsyncMiddleware {
    let metrics: AppMetrics

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next.respond(to: request)
        metrics.requestAnswered(method: request.method.rawValue, route: request.routePattern,
                                status: response.status.code, duration: ContinuousClock.now - started)
        return response
    }
}
