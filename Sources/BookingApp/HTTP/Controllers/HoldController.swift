import BookingDomain
import Vapor

struct HoldController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        let holds = routes.user.grouped("holds")
        holds.post(use: create)
        holds.get(use: index)
        holds.get(":id", use: show)
        holds.post(":id", "confirm", use: confirm)
        holds.delete(":id", use: release)
    }

    @Sendable func create(req: Request, caller: Principal) async throws -> Response {
        let body: HoldRequest
        let range: PeriodRange?
        do {
            body = try req.decodeJSON(HoldRequest.self)
            range = try body.range
        } catch {
            // The service counts the refusals it decides; a body it never sees is counted here.
            server.metrics.services.refusedHold(error)
            throw error
        }
        let holds = server.domain.holds
        let outcome = try await holds.hold(
            body.resource?.reference, quantity: body.quantity?.value, in: range, ttlSeconds: body.ttlSeconds?.value, for: caller.user,
            idempotencyKey: req.headers.first(name: "Idempotency-Key")
        )
        return try await HoldResponse(outcome.hold, status: holds.status(of: outcome.hold))
            .encodeResponse(status: .created, for: req).markReplayed(outcome.replayed)
    }

    /// `?resource=ID&status=held|confirmed|released|expired|all&limit=1...1000&offset=N`
    @Sendable func index(req: Request, caller: Principal) async throws -> [HoldResponse] {
        let query: HoldService.Query = try req.listQuery(defaultStatus: .all)
        let holds = server.domain.holds
        return try await holds.holds(visibleTo: caller.user, query).map { HoldResponse($0, status: holds.status(of: $0)) }
    }

    @Sendable func show(req: Request, caller: Principal) async throws -> HoldResponse {
        let holds = server.domain.holds
        let hold = try await holds.hold(id: try req.pathID(notFound: .holdNotFound), visibleTo: caller.user)
        return HoldResponse(hold, status: holds.status(of: hold))
    }

    /// 201 with the booking the first time; 200 with the same booking for any later confirm.
    @Sendable func confirm(req: Request, caller: Principal) async throws -> Response {
        let id = try req.pathID(notFound: .holdNotFound)
        let confirmation = try await server.domain.holds.confirm(holdID: id, by: caller.user)
        return BookingResponse(confirmation.booking).response(status: confirmation.created ? .created : .ok)
    }

    /// Releases the hold's units; answers with the released hold.
    @Sendable func release(req: Request, caller: Principal) async throws -> HoldResponse {
        let holds = server.domain.holds
        let released = try await holds.release(holdID: try req.pathID(notFound: .holdNotFound), by: caller.user)
        return HoldResponse(released, status: holds.status(of: released))
    }
}
