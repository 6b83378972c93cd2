import BookingDomain
import Vapor

/// Probes for orchestrators and load balancers. Neither needs a token.
struct HealthController: APIController {
    let server: ServerContext

    struct Status: Content {
        let status: String
    }

    func boot(routes: APIRoutes) {
        routes.operational.get("health", use: health)
        routes.operational.get("ready", use: ready)
    }

    /// The process is alive; no database call. The same bytes every time, written once (through Vapor's
    /// content configuration they cost this probe, the floor of every request, about 5 % of its CPU).
    @Sendable func health(req: Request, caller: Void) async throws -> Response {
        Response(status: .ok, json: Self.alive)
    }

    private static let alive = ByteBuffer(string: #"{"status":"ok"}"#)

    /// The database answers and the schema is up to date; otherwise 503 with the reason.
    @Sendable func ready(req: Request, caller: Void) async throws -> Response {
        let reason: String?
        do {
            reason = try await server.domain.storage.isReady() ? nil : "Migrations are not applied yet."
        } catch {
            reason = "The database is unavailable."
        }
        guard let reason else { return try await Status(status: "ready").encodeResponse(for: req) }
        let response = try await ErrorResponses.Body(reason: reason, code: .notReady, field: nil)
            .encodeResponse(status: .serviceUnavailable, for: req)
        response.headers.replaceOrAdd(name: .retryAfter, value: "1")
        return response
    }
}
