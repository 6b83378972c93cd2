import Vapor

/// Probes for orchestrators and load balancers. Neither needs a token.
struct HealthController: RouteCollection {
    struct Status: Content {
        let status: String
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("health", use: health)
        routes.get("ready", use: ready)
    }

    /// The process is alive; no database call.
    @Sendable func health(req: Request) async throws -> Status {
        Status(status: "ok")
    }

    /// The database answers and the schema is up to date; otherwise 503 with the reason.
    @Sendable func ready(req: Request) async throws -> Response {
        let reason: String?
        do {
            reason = try await req.domain.database.schemaIsReady() ? nil : "Migrations are not applied yet."
        } catch {
            reason = "The database is unavailable."
        }
        guard let reason else { return try await Status(status: "ready").encodeResponse(for: req) }
        let response = try await ErrorResponseMiddleware.Body(reason: reason, code: "not_ready", field: nil)
            .encodeResponse(status: .serviceUnavailable, for: req)
        response.headers.replaceOrAdd(name: .retryAfter, value: "1")
        return response
    }
}
