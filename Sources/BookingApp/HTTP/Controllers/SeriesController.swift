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
        let from = try PeriodRange(start: req.query[String.self, at: "from"], end: nil)
        return SeriesResponse(try await server.domain.series.cancel(seriesID: id, from: from, by: caller.user))
    }
}

/// Calendar feeds: `POST /users/me/calendar-feed` makes (or replaces) the caller's secret feed URL;
/// `GET /calendar/{token}.ics` serves it to calendar apps, without a sign-in; an admin's token also serves
/// `GET /calendar/{token}/resources/{id}.ics`.
struct CalendarFeedController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        routes.user.post("users", "me", "calendar-feed", use: replace)
        routes.anyone.get("calendar", ":token", use: userFeed)
        routes.anyone.get("calendar", ":token", "resources", ":file", use: resourceFeed)
    }

    @Sendable func replace(req: Request, caller: Principal) async throws -> Response {
        let token = try await server.domain.calendarFeeds.replaceToken(for: caller.user)
        let path = "/calendar/\(token).ics"
        return try await CalendarFeedResponse(url: server.absoluteURL(of: path, for: req), path: path).encodeResponse(status: .created, for: req)
    }

    @Sendable func userFeed(req: Request, caller: Principal?) async throws -> Response {
        // The token is the file's stem (`<token>.ics`).
        try await serve(token: Self.stem(req.parameters.get("token")), resourceID: nil, req)
    }

    @Sendable func resourceFeed(req: Request, caller: Principal?) async throws -> Response {
        // The resource id is the file's stem (`12.ics`); anything else names no feed.
        guard let resourceID = Int(Self.stem(req.parameters.get("file"))) else { throw AppError.calendarFeedNotFound }
        return try await serve(token: req.parameters.get("token") ?? "", resourceID: resourceID, req)
    }

    /// `name.ics` without its extension; "" for anything else.
    static func stem(_ file: String?) -> String {
        guard let file, file.hasSuffix(".ics") else { return "" }
        return String(file.dropLast(4))
    }

    private func serve(token: String, resourceID: Int?, _ req: Request) async throws -> Response {
        let feed = try await server.domain.calendarFeeds.feed(token: token, resourceID: resourceID, from: server.clientAddress(of: req))
        let body = ICalendar(feed).text
        let etag = "\"\(body.sha256Hex.prefix(32))\""
        var headers: HTTPHeaders = ["Content-Type": "text/calendar; charset=utf-8", "ETag": etag, "Cache-Control": "private, no-cache"]
        if let match = req.headers.first(name: .ifNoneMatch), match.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*"
        }) {
            headers.remove(name: .contentType)
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(string: body))
    }
}
