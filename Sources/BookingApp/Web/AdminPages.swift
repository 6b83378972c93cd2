import BookingDomain
import Vapor

/// The admin's pages: resources (create, edit, resize, limits, delete, the waiting list) and users. The
/// same services as the API; the service's refusals are shown as messages.
struct AdminPages {
    let server: ServerContext
    static let pageSize = 50

    func boot(_ pages: PageRoutes) {
        pages.admin.get("admin", "resources", use: resources)
        pages.admin.post("admin", "resources", use: create)
        pages.admin.get("admin", "resources", ":id", use: resource)
        pages.admin.post("admin", "resources", ":id", use: update)
        pages.admin.post("admin", "resources", ":id", "delete", use: delete)
        pages.admin.post("admin", "resources", ":id", "schedule", use: schedule)
        pages.admin.post("admin", "resources", ":id", "calendar", use: calendar)
        pages.admin.post("admin", "waitlist", ":id", "remove", use: removeEntry)
        pages.admin.get("admin", "users", use: users)
        pages.admin.post("admin", "users", ":id", use: changeUser)
    }

    struct ResourcesContext: Encodable, Sendable {
        let page: PageContext
        let resources: [ResourceView]
        let previous: String?
        let next: String?
    }

    private func renderResources(_ req: Request, error: AppError? = nil) async throws -> Response {
        let number = max(1, ((try? req.integerQuery("page")) ?? nil) ?? 1)
        let page = try await server.domain.resources.catalogue(CatalogueFilter(limit: Self.pageSize + 1, offset: (number - 1) * Self.pageSize))
        let all = (page.inStock + page.outOfStock).sorted { $0.id < $1.id }
        let context = ResourcesContext(page: PageContext(req, title: "Resources", error: error?.reason),
                                       resources: all.prefix(Self.pageSize).map(ResourceView.init),
                                       previous: number > 1 ? "/admin/resources?page=\(number - 1)" : nil,
                                       next: all.count > Self.pageSize ? "/admin/resources?page=\(number + 1)" : nil)
        return try await server.pages.render("admin-resources", context, status: error?.status ?? .ok, for: req)
    }

    @Sendable func resources(req: Request, session: WebSession) async throws -> Response {
        try await renderResources(req)
    }

    struct ResourceForm: Content {
        var name: String?
        var description: String?
        var total_quantity: String?
        var max_per_user: String?
        var max_per_booking: String?

        /// A number field: empty is none; anything else but a whole number is the field's 400.
        static func number(_ text: String?, field: String) throws(AppError) -> Int? {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw .invalidField(field: field, reason: "\(field) must be a whole number") }
            return value
        }
    }

    @Sendable func create(req: Request, session: WebSession) async throws -> Response {
        do {
            let form = try req.content.decode(ResourceForm.self)
            let created = try await server.domain.resources.create(.init(
                name: form.name, description: form.description ?? "",
                totalQuantity: try ResourceForm.number(form.total_quantity, field: "total_quantity"), availableQuantity: nil,
                maxPerUser: try ResourceForm.number(form.max_per_user, field: "max_per_user"),
                maxPerBooking: try ResourceForm.number(form.max_per_booking, field: "max_per_booking")), by: .user(session.user.id))
            return Page.redirect("/admin/resources/\(created.id)", done: "created", for: req)
        } catch let error as AppError {
            return try await renderResources(req, error: error)
        }
    }

    struct EntryView: Encodable, Sendable {
        let id: Int
        let userID: Int
        let quantity: Int
        let status: String
        let position: String
    }

    struct ResourceContext: Encodable, Sendable {
        let page: PageContext
        let r: ResourceView
        let entries: [EntryView]
        let hasEntries: Bool
        let schedule: ScheduleView
        let days: [DayView]
        let hasDays: Bool
    }

    /// The schedule form's values: the resource's schedule, or a pool's defaults.
    struct ScheduleView: Encodable, Sendable {
        let kinds: [MyPages.Option]
        let timeZone: String
        let slotMinutes: String
        let weekdays: [MyPages.Option]
        let open: String
        let close: String
        let horizonDays: Int
        let minNoticeMinutes: Int
        let dated: Bool

        init(_ schedule: Schedule?) {
            let kind = schedule?.kind.rawValue ?? "pool"
            kinds = [("pool", "A pool (no dates)"), ("daily", "Per day"), ("nightly", "Per night"), ("slots", "Per slot")].map {
                MyPages.Option(value: $0.0, label: $0.1, selected: $0.0 == kind)
            }
            timeZone = schedule?.zone.identifier ?? "UTC"
            slotMinutes = schedule?.slotMinutes.map(String.init) ?? "60"
            let hours = schedule?.openingHours.first
            let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            weekdays = (1...7).map { MyPages.Option(value: "\($0)", label: names[$0 - 1], selected: hours?.weekdays.contains($0) ?? true) }
            open = hours.map { "\($0.open)" } ?? "00:00"
            close = hours.map { "\($0.close)" } ?? "24:00"
            horizonDays = schedule?.horizonDays ?? 365
            minNoticeMinutes = schedule?.minNoticeMinutes ?? 0
            dated = schedule != nil
        }
    }

    struct DayView: Encodable, Sendable {
        let date: String
        let total: Int
    }

    private func renderResource(_ req: Request, id: Int, error: AppError? = nil) async throws -> Response {
        let resource = try await server.domain.resources.resource(id: id)
        let waitlist = server.domain.waitlist
        let line = try await waitlist.line(resourceID: id, WaitlistService.Query(status: .open, limit: 200))
        let entries = line.map { EntryView(id: $0.id, userID: $0.userID, quantity: $0.quantity, status: waitlist.status(of: $0).rawValue,
                                           position: $0.position.map(String.init) ?? "offered") }
        var days: [DayView] = []
        if let schedule = resource.schedule {
            let today = schedule.zone.wallTime(at: Int64(server.domain.clock.now().timeIntervalSince1970.rounded(.down))).date
            days = try await server.domain.resources.calendar(id: id, from: "\(today)", to: "\(today.adding(days: 1095))")
                .map { DayView(date: "\($0.date)", total: $0.total) }
        }
        let context = ResourceContext(page: PageContext(req, title: resource.name, error: error?.reason), r: ResourceView(resource),
                                      entries: entries, hasEntries: !entries.isEmpty, schedule: ScheduleView(resource.schedule),
                                      days: days, hasDays: !days.isEmpty)
        return try await server.pages.render("admin-resource", context, status: error?.status ?? .ok, for: req)
    }

    @Sendable func resource(req: Request, session: WebSession) async throws -> Response {
        try await renderResource(req, id: try req.pathID(notFound: .resourceNotFound))
    }

    @Sendable func update(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .resourceNotFound)
        do {
            let form = try req.content.decode(ResourceForm.self)
            _ = try await server.domain.resources.update(id: id, .init(
                name: form.name, description: form.description,
                totalQuantity: try ResourceForm.number(form.total_quantity, field: "total_quantity"),
                maxPerUser: .some(try ResourceForm.number(form.max_per_user, field: "max_per_user")),
                maxPerBooking: .some(try ResourceForm.number(form.max_per_booking, field: "max_per_booking"))), by: .user(session.user.id))
            return Page.redirect("/admin/resources/\(id)", done: "saved", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderResource(req, id: id, error: error)
        }
    }

    struct ScheduleForm: Content {
        var kind: String?
        var time_zone: String?
        var slot_minutes: String?
        var weekdays: [String]?
        var open: String?
        var close: String?
        var horizon_days: String?
        var min_notice_minutes: String?
    }

    /// A new schedule (or none: a pool), while nothing is booked, held or waiting.
    @Sendable func schedule(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .resourceNotFound)
        do {
            let form = try req.content.decode(ScheduleForm.self)
            var document: Schedule.Document?
            if let kind = form.kind, kind != "pool" {
                let slots = kind == "slots"
                let weekdays = (form.weekdays ?? []).compactMap { Int($0) }
                let allDay = form.open == "00:00" && form.close == "24:00" && weekdays.count == 7
                document = try Schedule.Document(
                    kind: kind, timeZone: form.time_zone ?? "",
                    slotMinutes: slots ? try ResourceForm.number(form.slot_minutes, field: "schedule.slot_minutes") : nil,
                    openingHours: slots && !allDay ? [.init(weekdays: weekdays, open: form.open ?? "", close: form.close ?? "")] : nil,
                    horizonDays: try ResourceForm.number(form.horizon_days, field: "schedule.horizon_days"),
                    minNoticeMinutes: try ResourceForm.number(form.min_notice_minutes, field: "schedule.min_notice_minutes"))
            }
            _ = try await server.domain.resources.update(id: id, .init(name: nil, description: nil, totalQuantity: nil, schedule: .some(document)),
                                                         by: .user(session.user.id))
            return Page.redirect("/admin/resources/\(id)", done: "saved", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderResource(req, id: id, error: error)
        }
    }

    struct CalendarForm: Content {
        var date: String?
        var total_quantity: String?
    }

    /// A date's own capacity (0 closes it), or the resource's again when the total is left empty.
    @Sendable func calendar(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .resourceNotFound)
        do {
            let form = try req.content.decode(CalendarForm.self)
            try await server.domain.resources.setCapacity(id: id, date: form.date ?? "",
                                                          total: try ResourceForm.number(form.total_quantity, field: "total_quantity"),
                                                          by: .user(session.user.id))
            return Page.redirect("/admin/resources/\(id)", done: "saved", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderResource(req, id: id, error: error)
        }
    }

    @Sendable func delete(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .resourceNotFound)
        do {
            try await server.domain.resources.delete(id: id, by: .user(session.user.id))
            return Page.redirect("/admin/resources", done: "deleted", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderResource(req, id: id, error: error)
        }
    }

    struct RemovalForm: Content {
        var reason: String?
        var resource: String?
    }

    @Sendable func removeEntry(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .waitlistEntryNotFound)
        let form = try req.content.decode(RemovalForm.self)
        let resourceID = form.resource.flatMap { Int($0) }
        do {
            let entry = try await server.domain.waitlist.leave(entryID: id, by: session.user, reason: form.reason)
            return Page.redirect("/admin/resources/\(entry.resourceID)", done: "removed", for: req)
        } catch let error as AppError where error.status != .notFound {
            guard let resourceID else { throw error }
            return try await renderResource(req, id: resourceID, error: error)
        }
    }

    struct UserView: Encodable, Sendable {
        let id: Int
        let username: String
        let email: String
        let isAdmin: Bool
        let isActive: Bool
    }

    struct UsersContext: Encodable, Sendable {
        let page: PageContext
        let search: String
        let users: [UserView]
    }

    private func renderUsers(_ req: Request, session: WebSession, error: AppError? = nil) async throws -> Response {
        let search = req.queryText("search") ?? ""
        var message = error
        var found: [User] = []
        do {
            found = try await server.domain.accounts.users(visibleTo: session.user, search: search.isEmpty ? nil : search, limit: 200)
        } catch let refusal as AppError {
            message = refusal
        }
        let context = UsersContext(page: PageContext(req, title: "Users", error: message?.reason), search: search,
                                   users: found.map { UserView(id: $0.id, username: $0.username, email: $0.email, isAdmin: $0.isAdmin, isActive: $0.isActive) })
        return try await server.pages.render("admin-users", context, status: message?.status ?? .ok, for: req)
    }

    @Sendable func users(req: Request, session: WebSession) async throws -> Response {
        try await renderUsers(req, session: session)
    }

    struct UserChange: Content {
        var change: String?
    }

    @Sendable func changeUser(req: Request, session: WebSession) async throws -> Response {
        let id = try req.pathID(notFound: .userNotFound)
        let change = try req.content.decode(UserChange.self).change
        let flags: (isAdmin: Bool?, isActive: Bool?) = switch change {
        case "activate": (nil, true)
        case "deactivate": (nil, false)
        case "promote": (true, nil)
        case "demote": (false, nil)
        default: (nil, nil)
        }
        do {
            guard flags.isAdmin != nil || flags.isActive != nil else {
                throw AppError.invalidField(field: "change", reason: "change must be activate, deactivate, promote or demote")
            }
            _ = try await server.domain.accounts.setFlags(userID: id, isAdmin: flags.isAdmin, isActive: flags.isActive, by: .user(session.user.id))
            return Page.redirect("/admin/users", done: "user", for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderUsers(req, session: session, error: error)
        }
    }
}
