import BookingDomain
import Vapor

/// A resource as the pages show it.
struct ResourceView: Encodable, Sendable {
    let id: Int
    let name: String
    let description: String
    let hasDescription: Bool
    let available: Int
    let held: Int
    let booked: Int
    let total: Int
    let waiting: Int
    let hasWaiting: Bool
    let soldOut: Bool
    /// The bar's widths, in percent of the total.
    let availablePercent: Int
    let heldPercent: Int
    let limits: String?
    let maxPerUser: String
    let maxPerBooking: String
    /// A dated resource's capacity, in words ("6 per night, Europe/Berlin"); nil for a pool.
    let perPeriod: String?

    init(_ resource: Resource) {
        let stock = resource.stock
        id = resource.id
        name = resource.name
        description = resource.description
        hasDescription = !resource.description.isEmpty
        available = stock.available
        held = stock.held
        booked = stock.booked
        total = stock.total
        waiting = resource.waitingEntries
        hasWaiting = resource.waitingEntries > 0
        soldOut = !resource.isInStock
        availablePercent = stock.total == 0 ? 0 : stock.available * 100 / stock.total
        heldPercent = stock.total == 0 ? 0 : stock.held * 100 / stock.total
        let parts = [resource.limits.maxPerUser.map { "at most \($0) per person" },
                     resource.limits.maxPerBooking.map { "at most \($0) per booking" }].compactMap { $0 }
        limits = parts.isEmpty ? nil : parts.joined(separator: ", ")
        maxPerUser = resource.limits.maxPerUser.map(String.init) ?? ""
        maxPerBooking = resource.limits.maxPerBooking.map(String.init) ?? ""
        perPeriod = resource.schedule.map { schedule in
            let unit = switch schedule.kind {
            case .daily: "day"
            case .nightly: "night"
            case .slots: "slot of \(schedule.slotMinutes ?? 0) minutes"
            }
            return "\(stock.total) per \(unit), times in \(schedule.zone)"
        }
    }
}

/// The catalogue, a resource's page, and signing up, in and out.
struct PublicPages {
    let server: ServerContext
    static let pageSize = 24

    func boot(_ pages: PageRoutes) {
        pages.open.get(use: catalogue)
        pages.open.get("resource", ":id", use: resource)
        pages.user.post("resource", ":id", "book", use: book)
        pages.user.post("resource", ":id", "hold", use: hold)
        pages.user.post("resource", ":id", "waitlist", use: join)
        pages.open.get("account", "login", use: loginForm)
        pages.open.post("account", "login", use: login)
        pages.open.get("account", "signup", use: signupForm)
        pages.open.post("account", "signup", use: signup)
        pages.user.post("account", "logout", use: logout)
        pages.user.get("account", "password", use: passwordForm)
        pages.user.post("account", "password", use: changePassword)
        pages.user.post("account", "notifications", use: changeNotifications)
    }

    struct CatalogueContext: Encodable, Sendable {
        let page: PageContext
        let q: String
        let inStockOnly: Bool
        let resources: [ResourceView]
        let empty: Bool
        let previous: String?
        let next: String?
    }

    @Sendable func catalogue(req: Request, session: WebSession?) async throws -> Response {
        let q = req.queryText("q") ?? ""
        let inStockOnly = req.queryText("in_stock") == "true"
        let number = max(1, ((try? req.integerQuery("page")) ?? nil) ?? 1)
        func link(_ n: Int) -> String {
            var items = ["page=\(n)"]
            if !q.isEmpty { items.append("q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") }
            if inStockOnly { items.append("in_stock=true") }
            return "/?" + items.joined(separator: "&")
        }
        // One more than a page, to know whether there is a next one.
        var found: [Resource] = []
        var refusal: AppError?
        do {
            let page = try await server.domain.resources.catalogue(CatalogueFilter(
                search: q.isEmpty ? nil : q, inStock: inStockOnly ? true : nil, limit: Self.pageSize + 1, offset: (number - 1) * Self.pageSize))
            found = page.inStock + page.outOfStock
        } catch let error as AppError {
            refusal = error
        }
        let context = CatalogueContext(page: PageContext(req, title: "Catalogue", error: refusal?.reason), q: q, inStockOnly: inStockOnly,
                                       resources: found.prefix(Self.pageSize).map(ResourceView.init), empty: found.isEmpty,
                                       previous: number > 1 && refusal == nil ? link(number - 1) : nil,
                                       next: found.count > Self.pageSize ? link(number + 1) : nil)
        return try await server.pages.render("catalogue", context, status: refusal?.status ?? .ok, for: req)
    }

    struct ResourceContext: Encodable, Sendable {
        let page: PageContext
        let r: ResourceView
        /// How long a hold lasts, in words.
        let holdFor: String
        let entry: EntryView?
        /// A dated resource's days, nights or slots to pick from.
        let time: TimeChooser?
    }

    struct EntryView: Encodable, Sendable {
        let id: Int
        let quantity: Int
        let waiting: Bool
        let position: Int?
    }

    /// The resource's page; `error` re-renders it after a refused form, with the service's reason.
    func renderResource(_ req: Request, id: Int, error: AppError? = nil) async throws -> Response {
        let resource = try await server.domain.resources.resource(id: id)
        var entry: EntryView?
        if let user = req.webSession?.user {
            let open = try await server.domain.waitlist.entries(
                visibleTo: user, WaitlistService.Query(resourceID: id, status: .open, limit: 1), owner: user.id)
            entry = open.first.map { EntryView(id: $0.id, quantity: $0.quantity, waiting: $0.storedStatus == .waiting, position: $0.position) }
        }
        let time = try await TimeChooser.make(for: resource, query: req, resources: server.domain.resources, now: server.domain.clock.now())
        let context = ResourceContext(page: PageContext(req, title: resource.name, error: error?.reason), r: ResourceView(resource),
                                      holdFor: Self.duration(server.config.holdTTL), entry: entry, time: time)
        return try await server.pages.render("resource", context, status: error?.status ?? .ok, for: req)
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds)
        if whole % 3600 == 0 { return "\(whole / 3600) hour\(whole == 3600 ? "" : "s")" }
        if whole % 60 == 0 { return "\(whole / 60) minute\(whole == 60 ? "" : "s")" }
        return "\(whole) seconds"
    }

    @Sendable func resource(req: Request, session: WebSession?) async throws -> Response {
        try await renderResource(req, id: try req.pathID(notFound: .resourceNotFound))
    }

    struct QuantityForm: Content {
        var quantity: String?
    }

    /// A form's quantity: a whole number, else the service's own refusal (nil reaches its validation).
    private func quantity(_ req: Request) -> Int? {
        (try? req.content.decode(QuantityForm.self))?.quantity.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Runs a resource form's action; a refusal re-renders the resource's page with the reason.
    private func act(_ req: Request, _ action: (Int) async throws -> String) async throws -> Response {
        let id = try req.pathID(notFound: .resourceNotFound)
        do {
            let done = try await action(id)
            return Page.redirect(done == "held" ? "/my/holds" : done == "booked" ? "/my/bookings" : "/resource/\(id)", done: done, for: req)
        } catch let error as AppError where error.status != .notFound {
            return try await renderResource(req, id: id, error: error)
        }
    }

    /// The range a dated resource's form names (nil for a pool's form).
    private func range(_ req: Request, of id: Int) async throws -> PeriodRange? {
        try TimeChooser.range(of: req, for: try await server.domain.resources.resource(id: id))
    }

    @Sendable func book(req: Request, session: WebSession) async throws -> Response {
        try await act(req) { id in
            _ = try await server.domain.bookings.book(.id(id), quantity: quantity(req), in: try await range(req, of: id), for: session.user)
            return "booked"
        }
    }

    @Sendable func hold(req: Request, session: WebSession) async throws -> Response {
        try await act(req) { id in
            _ = try await server.domain.holds.hold(.id(id), quantity: quantity(req), in: try await range(req, of: id), ttlSeconds: nil,
                                                   for: session.user)
            return "held"
        }
    }

    @Sendable func join(req: Request, session: WebSession) async throws -> Response {
        try await act(req) { id in
            let entry = try await server.domain.waitlist.join(resourceID: id, quantity: quantity(req), in: try await range(req, of: id),
                                                              for: session.user)
            return entry.storedStatus == .offered ? "offered" : "joined"
        }
    }

    struct LoginContext: Encodable, Sendable {
        let page: PageContext
        let next: String
        let username: String
    }

    struct LoginForm: Content {
        var username: String?
        var password: String?
        var next: String?
    }

    /// Where a login may send the browser: only a path of this site, as a browser's URL parser (the WHATWG
    /// standard) reads it; anything else is `/`. Browsers drop tabs and line breaks from a URL and read a
    /// backslash as a slash, so `/\t/evil.example` and `/\\evil.example` would be `//evil.example`, another
    /// host: only visible ASCII without a backslash is kept, starting with one slash that no second one
    /// follows. Nothing here can carry CR or LF into the `Location` header either.
    static func localPath(_ next: String?) -> String {
        guard let next, next.utf8.count <= 500, next.utf8.first == UInt8(ascii: "/"),
              next.utf8.dropFirst().first != UInt8(ascii: "/"),
              next.utf8.allSatisfy({ (0x21...0x7e).contains($0) && $0 != UInt8(ascii: "\\") })
        else { return "/" }
        return next
    }

    @Sendable func loginForm(req: Request, session: WebSession?) async throws -> Response {
        try await server.pages.render("login", LoginContext(page: PageContext(req, title: "Log in"),
                                                    next: Self.localPath(req.queryText("next")), username: ""), for: req)
    }

    @Sendable func login(req: Request, session: WebSession?) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let next = Self.localPath(form.next)
        do {
            let created = try await server.domain.sessions.login(username: form.username, password: form.password,
                                                              from: server.clientAddress(of: req), kind: .web)
            if let old = session { try? await server.domain.sessions.logout(old.principal) }
            let response = req.redirect(to: next, redirectType: .normal)
            let ttl = Int(created.expiresAt.timeIntervalSince(server.domain.clock.now()))
            response.cookies[WebSessionMiddleware.sessionCookie] = WebSessionMiddleware.cookie(
                created.token, secure: server.config.cookieSecure, maxAge: ttl)
            // A new browser secret with the new session: a value planted in the browser before the login
            // (cookie tossing from a sibling domain) is worth nothing after it.
            response.cookies[WebSessionMiddleware.csrfCookie] = WebSessionMiddleware.cookie(
                SessionService.makeToken(), secure: server.config.cookieSecure, maxAge: nil)
            return response
        } catch let error as AppError {
            let context = LoginContext(page: PageContext(req, title: "Log in", error: error.reason), next: next, username: form.username ?? "")
            let response = try await server.pages.render("login", context, status: error.status, for: req)
            if case .tooManyLoginAttempts(let seconds) = error { response.headers.replaceOrAdd(name: .retryAfter, value: String(seconds)) }
            return response
        }
    }

    @Sendable func logout(req: Request, session: WebSession) async throws -> Response {
        try await server.domain.sessions.logout(session.principal)
        let response = Page.redirect("/", for: req)
        response.cookies[WebSessionMiddleware.sessionCookie] = WebSessionMiddleware.cookie(
            "", secure: server.config.cookieSecure, maxAge: 0)
        return response
    }

    struct SignupContext: Encodable, Sendable {
        let page: PageContext
        let username: String
        let email: String
    }

    struct SignupForm: Content {
        var username: String?
        var email: String?
        var password: String?
        var confirm_password: String?
    }

    @Sendable func signupForm(req: Request, session: WebSession?) async throws -> Response {
        try await server.pages.render("signup", SignupContext(page: PageContext(req, title: "Sign up"), username: "", email: ""), for: req)
    }

    @Sendable func signup(req: Request, session: WebSession?) async throws -> Response {
        let form = try req.content.decode(SignupForm.self)
        do {
            _ = try await server.domain.accounts.register(
                .init(username: form.username, email: form.email, password: form.password, confirmPassword: form.confirm_password, isAdmin: false),
                by: nil, from: server.clientAddress(of: req))
            return Page.redirect("/account/login", done: "signedup", for: req)
        } catch let error as AppError {
            let context = SignupContext(page: PageContext(req, title: "Sign up", error: error.reason),
                                        username: form.username ?? "", email: form.email ?? "")
            return try await server.pages.render("signup", context, status: error.status, for: req)
        }
    }

    struct PasswordForm: Content {
        var old_password: String?
        var new_password: String?
        var confirm_password: String?
    }

    /// The account page: the password form, and which kinds of e-mail are on.
    struct AccountContext: Encodable, Sendable {
        struct Kind: Encodable, Sendable {
            let name: String
            let label: String
            let on: Bool
        }

        let page: PageContext
        let kinds: [Kind]

        init(_ page: PageContext, user: User) {
            self.page = page
            let labels: [NotificationKind: String] = [.booking: "Bookings made or cancelled", .offer: "Waiting-list offers",
                                                      .holdReminder: "Holds about to expire", .bookingReminder: "Bookings about to start"]
            kinds = NotificationKind.allCases.compactMap { kind in
                labels[kind].map { Kind(name: kind.rawValue, label: $0, on: !user.mailOff.contains(kind)) }
            }
        }
    }

    @Sendable func passwordForm(req: Request, session: WebSession) async throws -> Response {
        try await server.pages.render("password", AccountContext(PageContext(req, title: "Your account"), user: session.user), for: req)
    }

    /// The e-mail form: each kind's box, ticked or not (security notices always go).
    @Sendable func changeNotifications(req: Request, session: WebSession) async throws -> Response {
        let form = (try? req.content.decode([String: String].self)) ?? [:]
        var changes: [String: Bool] = [:]
        for kind in NotificationKind.allCases where kind != .security { changes[kind.rawValue] = form[kind.rawValue] != nil }
        _ = try await server.domain.accounts.setNotifications(of: session.user, changes)
        return Page.redirect("/account/password", done: "saved", for: req)
    }

    @Sendable func changePassword(req: Request, session: WebSession) async throws -> Response {
        let form = try req.content.decode(PasswordForm.self)
        do {
            try await server.domain.accounts.changePassword(of: session.principal, current: form.old_password, new: form.new_password,
                                                         confirmation: form.confirm_password, from: server.clientAddress(of: req))
            return Page.redirect("/account/password", done: "password", for: req)
        } catch let error as AppError {
            return try await server.pages.render("password", AccountContext(PageContext(req, title: "Your account", error: error.reason),
                                                                            user: session.user), status: error.status, for: req)
        }
    }
}
