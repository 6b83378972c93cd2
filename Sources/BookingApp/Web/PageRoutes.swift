import BookingDomain
import BookingPersistence
import Leaf
import Vapor

/// The web pages' routes, by who may open them, as `APIRoutes` declares the API's: each page is
/// registered on the group of its level, which is recorded on the route. Every page answers in HTML,
/// errors included: a refused form re-renders with a message or becomes a styled error page, never JSON.
struct PageRoutes {
    let open: PageGroup<WebSession?>
    let user: PageGroup<WebSession>
    let admin: PageGroup<WebSession>

    init(app: Application, server: ServerContext, body: RequestBodyMiddleware) {
        let pages = app.grouped(WebSessionMiddleware(server: server), body)
        open = PageGroup(builder: pages, access: .page, pages: server.pages) { $0.webSession }
        user = PageGroup(builder: pages, access: .pageUser, pages: server.pages) { request in
            guard let session = request.webSession else { throw PageError.signInRequired(next: request.url.path) }
            return session
        }
        admin = PageGroup(builder: pages, access: .pageAdmin, pages: server.pages) { request in
            guard let session = request.webSession else { throw PageError.signInRequired(next: request.url.path) }
            guard session.user.isAdmin else { throw PageError.adminRequired }
            return session
        }
    }
}

struct PageGroup<Caller: Sendable> {
    let builder: any RoutesBuilder
    let access: Access
    let pages: PageRenderer
    let caller: @Sendable (Request) throws -> Caller

    @discardableResult
    func get(_ path: PathComponent..., use handler: @escaping @Sendable (Request, Caller) async throws -> Response) -> Route {
        on(.GET, path, use: handler)
    }

    /// A form's target: its CSRF token is checked before the handler runs.
    @discardableResult
    func post(_ path: PathComponent..., use handler: @escaping @Sendable (Request, Caller) async throws -> Response) -> Route {
        on(.POST, path) { request, caller in
            try request.checkCSRF(try? request.content.get(String.self, at: WebSessionMiddleware.csrfField))
            return try await handler(request, caller)
        }
    }

    private func on(_ method: HTTPMethod, _ path: [PathComponent],
                    use handler: @escaping @Sendable (Request, Caller) async throws -> Response) -> Route {
        let caller = self.caller, pages = self.pages
        let route = builder.on(method, path, body: .collect(maxSize: "128kb")) { request in
            do {
                return try await handler(request, try caller(request))
            } catch {
                return try await pages.errorResponse(for: error, to: request)
            }
        }
        route.userInfo[Access.routeInfoKey] = access
        route.bodyLimit = 128 << 10
        return route
    }
}

/// What every page's layout shows: the title, who is signed in, the form token, a message.
struct PageContext: Encodable {
    let title: String
    let signedIn: Bool
    let isAdmin: Bool
    let username: String
    let csrf: String
    var error: String?
    var notice: String?

    init(_ request: Request, title: String, error: String? = nil) {
        self.title = title
        let user = request.webSession?.user
        signedIn = user != nil
        isAdmin = user?.isAdmin ?? false
        username = user?.username ?? ""
        csrf = request.csrfToken
        self.error = error
        notice = request.queryText("done").flatMap { Page.notices[$0] }
    }
}

enum Page {
    /// What a page says after a form succeeded and redirected (`?done=`): fixed texts, so a link cannot
    /// make the page say anything else.
    static let notices: [String: String] = [
        "booked": "Booked.", "held": "Held. Confirm it before the time runs out.", "joined": "You are on the waiting list.",
        "cancelled": "Cancelled; the units are back.", "confirmed": "Confirmed: it is booked.", "released": "Released.",
        "declined": "Offer declined; it passes to the next in line.", "left": "You have left the waiting list.",
        "signedup": "Account created. Log in.", "password": "Password changed.", "created": "Resource created.",
        "saved": "Saved.", "deleted": "Resource deleted.", "removed": "Entry removed.", "user": "User updated.",
        "offered": "Units were free: an offer is waiting for you below.",
        "sent": "Sent; the attempt is listed below.", "webhook-deleted": "Endpoint deleted.",
    ]

    /// Only this server's own scripts, styles and forms; no framing.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

    /// After a form: back to `path` with a notice, as a 303 so a reload does not post again.
    static func redirect(_ path: String, done: String? = nil, for request: Request) -> Response {
        let target = done.map { path + (path.contains("?") ? "&" : "?") + "done=\($0)" } ?? path
        return request.redirect(to: target, redirectType: .normal)
    }
}
