import Vapor

/// Counts every answered request and its latency by method, route pattern and status. Sits outside the
/// error middleware, so failures are counted under their real status.
struct RequestMetricsMiddleware: Middleware {
    let metrics: AppMetrics

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let started = ContinuousClock.now
        return next.respond(to: request).map { [metrics] response in
            metrics.requestAnswered(method: request.method.rawValue, route: request.routePattern,
                                    status: response.status.code, duration: ContinuousClock.now - started)
            return response
        }
    }
}
