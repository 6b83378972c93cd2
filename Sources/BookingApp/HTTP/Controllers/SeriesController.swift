import BookingDomain
import Vapor

/// Recurring bookings (`/bookings/series/`).
struct SeriesController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        let series = routes.user.grouped("bookings", "series")
        series.post(use: create)
        series.get(use: index)
        series.get(":id", use: show)
        series.delete(":id", use: cancel)
    }

    @Sendable func create(req: Request, caller: Principal) async throws -> Response {
        let body: SeriesRequestBody, first: PeriodRange?
        do {
            body = try req.decodeJSON(SeriesRequestBody.self)
            first = try PeriodRange(start: body.start, end: body.end)
        } catch {
            server.metrics.services.refusedBooking(error)
            throw error
        }
        let outcome = try await server.domain.series.book(
            body.resource?.reference, quantity: body.purchaseQuantity?.value, first: first, rrule: body.rrule, onConflict: body.onConflict,
            for: caller.user, idempotencyKey: req.headers.first(name: "Idempotency-Key"))
        return try await SeriesResponse(outcome.series).encodeResponse(status: .created, for: req).markReplayed(outcome.replayed)
    }

    /// `?limit=1...1000&offset=N`: the caller's series (an admin: everyone's), newest first.
    @Sendable func index(req: Request, caller: Principal) async throws -> [SeriesResponse] {
        try await server.domain.series.list(visibleTo: caller.user, limit: try req.integerQuery("limit") ?? Paging.defaultSize,
                                            offset: try req.integerQuery("offset") ?? 0).map(SeriesResponse.init)
    }

    @Sendable func show(req: Request, caller: Principal) async throws -> SeriesResponse {
        SeriesResponse(try await server.domain.series.series(id: try req.pathID(notFound: .seriesNotFound), visibleTo: caller.user))
    }

    /// `?from=<start>`: cancels the occurrences that begin then or later (all without it); answers the series.
    @Sendable func cancel(req: Request, caller: Principal) async throws -> SeriesResponse {
        let id = try req.pathID(notFound: .seriesNotFound)
        let from = try PeriodRange(start: req.queryText("from"), end: nil)
        return SeriesResponse(try await server.domain.series.cancel(seriesID: id, from: from, by: caller.user))
    }
}
