import BookingDomain
import Vapor

/// A signed-in person's bookings, holds and offers, and waiting-list entries; and the admin's view of
/// everyone's bookings (the same page with filters).
struct MyPages {
    let server: ServerContext
    static let pageSize = 20

    func boot(_ pages: PageRoutes) {
        pages.user.get("my", "bookings", use: myBookings)
        pages.user.post("my", "bookings", ":id", "cancel", use: cancel)
        pages.user.post("my", "series", ":id", "cancel", use: cancelSeries)
        pages.user.post("my", "calendar-feed", use: replaceFeed)
        pages.admin.get("admin", "bookings", use: allBookings)
        pages.admin.post("admin", "bookings", ":id", "cancel", use: cancelAny)
        pages.user.get("my", "holds", use: holds)
        pages.user.post("my", "holds", ":id", "confirm", use: confirm)
        pages.user.post("my", "holds", ":id", "release", use: release)
        pages.user.get("my", "waitlist", use: waitlist)
        pages.user.post("my", "waitlist", ":id", "leave", use: leave)
        pages.user.post("my", "waitlist", ":id", "decline", use: decline)
    }

    struct Option: Encodable, Sendable {
        let value: String
        let label: String
        let selected: Bool
    }

    struct BookingView: Encodable, Sendable {
        let id: Int
        let resourceID: Int
        let resourceName: String
        let userID: Int
        let quantity: Int
        let date: String
        /// A dated booking's range, in the resource's zone; empty for a pool's.
        let when: String
        let status: String
        let active: Bool
    }

    struct OccurrenceView: Encodable, Sendable {
        let when: String
        let start: String
        let status: String
        let booking: Int?
        let active: Bool
    }

    /// A series as one row that expands into its occurrences.
    struct SeriesView: Encodable, Sendable {
        let id: Int
        let resourceID: Int
        let resourceName: String
        let quantity: Int
        let rule: String
        let summary: String
        let occurrences: [OccurrenceView]
        let active: Bool

        init(_ series: BookingSeries) {
            id = series.id
            resourceID = series.resourceID
            resourceName = series.resourceName
            quantity = series.quantity
            rule = series.rrule
            let counts = BookingSeries.Occurrence.Status.allCases.compactMap { status -> String? in
                let count = series.occurrences.count { $0.status == status }
                return count == 0 ? nil : "\(count) \(status.rawValue)"
            }
            summary = "\(series.occurrences.count) occurrences: " + counts.joined(separator: ", ")
            occurrences = series.occurrences.map {
                OccurrenceView(when: TimeChooser.when(start: $0.start, end: $0.end), start: $0.start, status: $0.status.rawValue,
                               booking: $0.bookingID, active: $0.status == .booked)
            }
            active = series.occurrences.contains { $0.status == .booked }
        }
    }

    struct BookingsContext: Encodable, Sendable {
        let page: PageContext
        let admin: Bool
        /// The caller's series (on their own page), each one row.
        let series: [SeriesView]
        /// A calendar feed URL made just now (shown once).
        let feedURL: String?
        let action: String
        let cancelAction: String
        let resource: String
        let user: String
        let statuses: [Option]
        let bookings: [BookingView]
        let empty: Bool
        let hasSeries: Bool
        let previous: String?
        let next: String?
    }

    @Sendable func myBookings(req: Request, session: WebSession) async throws -> Response {
        try await bookings(req, session: session, admin: false)
    }

    @Sendable func allBookings(req: Request, session: WebSession) async throws -> Response {
        try await bookings(req, session: session, admin: true)
    }

    /// Newest first, paged; status `all` by default so a cancellation shows where it happened.
    private func bookings(_ req: Request, session: WebSession, admin: Bool, error: AppError? = nil, feedURL: String? = nil) async throws
        -> Response {
        let status = req.queryText("status").flatMap(BookingService.StatusFilter.init(rawValue:)) ?? .all
        let number = max(1, ((try? req.integerQuery("page")) ?? nil) ?? 1)
        let resource = admin ? ((try? req.integerQuery("resource")) ?? nil) : nil
        let owner = admin ? ((try? req.integerQuery("user")) ?? nil) : session.user.id
        let found = try await server.domain.bookings.bookings(
            visibleTo: session.user,
            BookingService.Query(resourceID: resource, status: status, limit: Self.pageSize + 1, offset: (number - 1) * Self.pageSize),
            owner: owner, standalone: !admin)
        // On one's own page a series is one row (its occurrences inside it), listed on the first page.
        let series = admin || number > 1 ? [] : try await server.domain.series.list(visibleTo: Self.own(session.user), limit: 50, offset: 0)
        let base = admin ? "/admin/bookings" : "/my/bookings"
        func link(_ n: Int) -> String {
            var items = ["page=\(n)", "status=\(status.rawValue)"]
            if let resource { items.append("resource=\(resource)") }
            if admin, let owner { items.append("user=\(owner)") }
            return base + "?" + items.joined(separator: "&")
        }
        let context = BookingsContext(
            page: PageContext(req, title: admin ? "All bookings" : "My bookings", error: error?.reason), admin: admin,
            series: series.map(SeriesView.init), feedURL: feedURL, action: base,
            cancelAction: base, resource: resource.map(String.init) ?? "", user: admin ? owner.map(String.init) ?? "" : "",
            statuses: BookingService.StatusFilter.allCases.map { Option(value: $0.rawValue, label: $0.rawValue, selected: $0 == status) },
            bookings: found.prefix(Self.pageSize).map { BookingView(
                id: $0.id, resourceID: $0.resourceID, resourceName: $0.resourceName, userID: $0.userID, quantity: $0.purchaseQuantity,
                date: $0.bookingDate.formatted(date: .abbreviated, time: .shortened), when: TimeChooser.when($0.range), status: $0.status.rawValue,
                active: $0.status == .active) },
            empty: found.isEmpty, hasSeries: !series.isEmpty, previous: number > 1 ? link(number - 1) : nil, next: found.count > Self.pageSize ? link(number + 1) : nil)
        return try await server.pages.render("bookings", context, status: error?.status ?? .ok, for: req)
    }

    @Sendable func cancel(req: Request, session: WebSession) async throws -> Response {
        try await cancel(req, session: session, admin: false)
    }

    @Sendable func cancelAny(req: Request, session: WebSession) async throws -> Response {
        try await cancel(req, session: session, admin: true)
    }

    private func cancel(_ req: Request, session: WebSession, admin: Bool) async throws -> Response {
        let id = try req.pathID(notFound: .bookingNotFound)
        do {
            // On "my" pages, an admin too acts only on their own bookings.
            _ = try await server.domain.bookings.cancel(bookingID: id, by: admin ? session.user : Self.own(session.user))
            return Page.redirect(admin ? "/admin/bookings" : "/my/bookings", done: "cancelled", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await bookings(req, session: session, admin: admin, error: error)
        }
    }

    struct SeriesCancelForm: Content {
        var from: String?
    }

    /// Cancels a series of the caller's, from an occurrence on (all of it without one).
    @Sendable func cancelSeries(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .seriesNotFound)
        do {
            let from = try PeriodRange(start: (try? req.content.decode(SeriesCancelForm.self))?.from.flatMap { $0.isEmpty ? nil : $0 }, end: nil)
            _ = try await server.domain.series.cancel(seriesID: id, from: from, by: Self.own(session.user))
            return Page.redirect("/my/bookings", done: "cancelled", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await bookings(req, session: session, admin: false, error: error)
        }
    }

    /// Makes a new calendar feed URL (the old one stops working) and shows it, once.
    @Sendable func replaceFeed(req: Request, session: WebSession) async throws -> Response {
        let token = try await server.domain.calendarFeeds.replaceToken(for: session.user)
        return try await bookings(req, session: session, admin: false, feedURL: server.absoluteURL(of: "/calendar/\(token).ics", for: req))
    }

    struct HoldView: Encodable, Sendable {
        let id: Int
        let resourceID: Int
        let resourceName: String
        let quantity: Int
        let expiresAt: String
        let offer: Bool
        let entry: Int?
        let status: String
        let when: String
    }

    struct HoldsContext: Encodable, Sendable {
        let page: PageContext
        let holds: [HoldView]
        let empty: Bool
        let ended: [HoldView]
        let hasEnded: Bool
    }

    func renderHolds(_ req: Request, session: WebSession, error: AppError? = nil) async throws -> Response {
        let service = server.domain.holds
        let mine = try await service.holds(visibleTo: session.user, HoldService.Query(status: .all, limit: 50), owner: session.user.id)
        func view(_ hold: Hold) -> HoldView {
            HoldView(id: hold.id, resourceID: hold.resourceID, resourceName: hold.resourceName, quantity: hold.quantity,
                     expiresAt: hold.expiresAt.wireFormat, offer: hold.waitlistEntryID != nil, entry: hold.waitlistEntryID,
                     status: service.status(of: hold).rawValue, when: TimeChooser.when(hold.range))
        }
        let live = mine.filter { service.status(of: $0) == .held }.map(view)
        let ended = mine.filter { service.status(of: $0) != .held }.prefix(10).map(view)
        let context = HoldsContext(page: PageContext(req, title: "Holds and offers", error: error?.reason), holds: live, empty: live.isEmpty,
                                   ended: Array(ended), hasEnded: !ended.isEmpty)
        return try await server.pages.render("holds", context, status: error?.status ?? .ok, for: req)
    }

    @Sendable func holds(req: Request, session: WebSession) async throws -> Response {
        try await renderHolds(req, session: session)
    }

    private func onHolds(_ req: Request, session: WebSession, _ action: (Int) async throws -> (path: String, done: String)) async throws -> Response {
        let id = try req.pathID(notFound: .holdNotFound)
        do {
            let (path, done) = try await action(id)
            return Page.redirect(path, done: done, for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderHolds(req, session: session, error: error)
        }
    }

    @Sendable func confirm(req: Request, session: WebSession) async throws -> Response {
        try await onHolds(req, session: session) { id in
            _ = try await server.domain.holds.confirm(holdID: id, by: Self.own(session.user))
            return ("/my/bookings", "confirmed")
        }
    }

    @Sendable func release(req: Request, session: WebSession) async throws -> Response {
        try await onHolds(req, session: session) { id in
            _ = try await server.domain.holds.release(holdID: id, by: Self.own(session.user))
            return ("/my/holds", "released")
        }
    }

    @Sendable func decline(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .waitlistEntryNotFound)
        do {
            _ = try await server.domain.waitlist.decline(entryID: id, by: session.user)
            return Page.redirect("/my/holds", done: "declined", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderHolds(req, session: session, error: error)
        }
    }

    /// The user as the "my" pages act for them: on their own records only, admin or not.
    static func own(_ user: User) -> User {
        User(id: user.id, username: user.username, email: user.email, isAdmin: false, isActive: user.isActive, createdAt: user.createdAt,
             mailOff: user.mailOff)
    }

    struct EntryView: Encodable, Sendable {
        let id: Int
        let resourceID: Int
        let resourceName: String
        let quantity: Int
        let status: String
        let position: String
        let offered: Bool
        let offerExpiresAt: String
        let open: Bool
    }

    struct WaitlistContext: Encodable, Sendable {
        let page: PageContext
        let entries: [EntryView]
        let empty: Bool
    }

    func renderWaitlist(_ req: Request, session: WebSession, error: AppError? = nil) async throws -> Response {
        let service = server.domain.waitlist
        let entries = try await service.entries(visibleTo: session.user, WaitlistService.Query(status: .all, limit: 50), owner: session.user.id)
        let views = entries.map { entry in
            let status = service.status(of: entry)
            return EntryView(id: entry.id, resourceID: entry.resourceID, resourceName: entry.resourceName, quantity: entry.quantity,
                             status: status.rawValue, position: entry.position.map(String.init) ?? "", offered: status == .offered,
                             offerExpiresAt: entry.offer?.expiresAt.wireFormat ?? "", open: status.isOpen)
        }
        return try await server.pages.render("waitlist", WaitlistContext(page: PageContext(req, title: "Waiting lists", error: error?.reason),
                                                                 entries: views, empty: views.isEmpty), status: error?.status ?? .ok, for: req)
    }

    @Sendable func waitlist(req: Request, session: WebSession) async throws -> Response {
        try await renderWaitlist(req, session: session)
    }

    @Sendable func leave(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .waitlistEntryNotFound)
        do {
            let entry = try await server.domain.waitlist.leave(entryID: id, by: Self.own(session.user), reason: nil)
            return Page.redirect("/resource/\(entry.resourceID)", done: "left", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderWaitlist(req, session: session, error: error)
        }
    }
}
