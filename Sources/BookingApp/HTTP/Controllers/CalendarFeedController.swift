import BookingDomain
import Vapor

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
