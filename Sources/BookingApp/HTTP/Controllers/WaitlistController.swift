import BookingDomain
import Vapor

struct WaitlistController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        routes.user.grouped("resources").post(":id", "waitlist", use: join)
        routes.admin.grouped("resources").get(":id", "waitlist", use: line)
        let waitlist = routes.user.grouped("waitlist")
        waitlist.get(use: index)
        waitlist.get(":id", use: show)
        waitlist.delete(":id", use: leave)
        waitlist.post(":id", "decline", use: decline)
    }

    /// 201 with the entry: `waiting` with its position, or `offered` when units were free for it at once.
    @Sendable func join(req: Request, caller: Principal) async throws -> Response {
        let resourceID = try req.pathID(notFound: .resourceNotFound)
        let body = try req.decodeJSON(WaitlistJoinRequest.self)
        let waitlist = server.domain.waitlist
        let entry = try await waitlist.join(resourceID: resourceID, quantity: body.quantity?.value, in: try body.range, for: caller.user)
        return try await WaitlistEntryResponse(entry, status: waitlist.status(of: entry)).encodeResponse(status: .created, for: req)
    }

    /// A resource's list in the order it is served: `?status=` (default `open`), `limit`, `offset`.
    @Sendable func line(req: Request, caller: Principal) async throws -> [WaitlistEntryResponse] {
        let resourceID = try req.pathID(notFound: .resourceNotFound)
        let waitlist = server.domain.waitlist
        // The path names the resource: a `resource` parameter is read and ignored.
        return try await waitlist.line(resourceID: resourceID, try req.listQuery(defaultStatus: .open))
            .map { WaitlistEntryResponse($0, status: waitlist.status(of: $0)) }
    }

    /// `?resource=ID&status=...&limit=1...1000&offset=N`, newest first.
    @Sendable func index(req: Request, caller: Principal) async throws -> [WaitlistEntryResponse] {
        let query: WaitlistService.Query = try req.listQuery(defaultStatus: .all)
        let waitlist = server.domain.waitlist
        return try await waitlist.entries(visibleTo: caller.user, query).map { WaitlistEntryResponse($0, status: waitlist.status(of: $0)) }
    }

    @Sendable func show(req: Request, caller: Principal) async throws -> WaitlistEntryResponse {
        let waitlist = server.domain.waitlist
        let entry = try await waitlist.entry(id: try req.pathID(notFound: .waitlistEntryNotFound), visibleTo: caller.user)
        return WaitlistEntryResponse(entry, status: waitlist.status(of: entry))
    }

    /// The owner leaves (`left`); an admin removes someone else's entry with `?reason=` (`removed`).
    @Sendable func leave(req: Request, caller: Principal) async throws -> WaitlistEntryResponse {
        let waitlist = server.domain.waitlist
        let entry = try await waitlist.leave(entryID: try req.pathID(notFound: .waitlistEntryNotFound), by: caller.user,
                                             reason: req.queryText("reason"))
        return WaitlistEntryResponse(entry, status: waitlist.status(of: entry))
    }

    @Sendable func decline(req: Request, caller: Principal) async throws -> WaitlistEntryResponse {
        let waitlist = server.domain.waitlist
        let entry = try await waitlist.decline(entryID: try req.pathID(notFound: .waitlistEntryNotFound), by: caller.user)
        return WaitlistEntryResponse(entry, status: waitlist.status(of: entry))
    }
}
