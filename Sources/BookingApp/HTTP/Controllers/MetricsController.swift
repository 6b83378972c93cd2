import BookingDomain
import Vapor

/// `GET /metrics` in the Prometheus text format. Open unless METRICS_TOKEN is set; user tokens play
/// no part here (a scraper is not a user).
struct MetricsController: APIController {
    let metrics: AppMetrics
    /// METRICS_TOKEN's SHA-256: tokens are compared as digests, so how long a comparison takes says
    /// nothing about the token itself.
    let tokenHash: String?

    init(metrics: AppMetrics, token: String?) {
        self.metrics = metrics
        self.tokenHash = token?.sha256Hex
    }

    func boot(routes: APIRoutes) {
        routes.operational.get("metrics", use: scrape)
    }

    @Sendable func scrape(req: Request, caller: Void) async throws -> Response {
        if let tokenHash {
            let presented = req.headers.bearerAuthorization?.token
            guard presented?.sha256Hex == tokenHash else { throw AppError.metricsTokenRequired }
        }
        return Response(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(buffer: ByteBuffer(bytes: metrics.exposition())))
    }
}
