import BookingDomain
import Vapor

/// Who may call a route. It is declared where the route is declared (each controller registers on the
/// group of its access level), recorded on the route, and tested against the OpenAPI document's
/// `security`, so no route exists without saying who may call it.
enum Access: String, Sendable, CaseIterable {
    /// Probes, metrics and documentation: user tokens play no part (a prober's header is never read).
    case operational
    /// Anyone. A token that is presented must be valid, and tells the handler who is calling.
    case anyone
    /// A valid token.
    case user
    /// A valid token of an admin: 401 without a token, 403 for anyone else.
    case admin
    /// A web page anyone may open; a session cookie, if valid, says who is looking (`PageRoutes`).
    case page
    /// A web page for a signed-in browser: without a session, a redirect to the login page.
    case pageUser
    /// A web page for an admin's browser: a 403 page for anyone else.
    case pageAdmin

    /// The web pages' levels, which the OpenAPI document does not describe.
    var isPage: Bool { self == .page || self == .pageUser || self == .pageAdmin }

    /// Where a route records its access level (`Route.userInfo`).
    static let routeInfoKey = "booking.access"
}

extension Route {
    /// The access level the route was registered with; nil only for a route registered outside `APIRoutes`.
    var access: Access? { userInfo[Access.routeInfoKey] as? Access }
}

/// A group of routes of one access level. Each handler receives the caller as that level guarantees it:
/// nothing for operational routes, an optional principal for public ones, a principal otherwise.
struct GuardedRoutes<Caller: Sendable> {
    let builder: any RoutesBuilder
    let access: Access
    /// The most bytes a route of the group reads as a body unless it says otherwise (16 KB).
    let defaultMaxBody: ByteCount
    /// What the group's routes check before their handler.
    let gate: RouteGate
    let caller: @Sendable (Request) throws -> Caller

    func grouped(_ path: PathComponent...) -> GuardedRoutes {
        GuardedRoutes(builder: builder.grouped(path), access: access, defaultMaxBody: defaultMaxBody, gate: gate, caller: caller)
    }

    /// `maxBody`: the most bytes the route reads as a body (``RequestBodies``); the application's default
    /// (16 KB) when nil.
    @discardableResult
    func on<Answer: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ path: [PathComponent], maxBody: ByteCount? = nil,
        use handler: @escaping @Sendable (Request, Caller) async throws -> Answer
    ) -> Route {
        let caller = self.caller, gate = self.gate, limit = (maxBody ?? defaultMaxBody).value
        let route = Route(method: method, path: path, responder: HandlerResponder { request in
            try await gate.tokens?.authenticate(request)
            let who = try caller(request)
            return try await gate.bodies.read(request, limit: limit) { try await handler(request, who).encodeResponse(for: request) }
        }, requestType: Request.self, responseType: Answer.self)
        builder.add(route)
        route.userInfo[Access.routeInfoKey] = access
        return route
    }

    @discardableResult
    func get<Answer: AsyncResponseEncodable>(_ path: PathComponent..., use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.GET, path, use: handler)
    }

    @discardableResult
    func post<Answer: AsyncResponseEncodable>(_ path: PathComponent..., maxBody: ByteCount? = nil,
                                              use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.POST, path, maxBody: maxBody, use: handler)
    }

    @discardableResult
    func put<Answer: AsyncResponseEncodable>(_ path: PathComponent..., maxBody: ByteCount? = nil,
                                             use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.PUT, path, maxBody: maxBody, use: handler)
    }

    @discardableResult
    func patch<Answer: AsyncResponseEncodable>(_ path: PathComponent..., maxBody: ByteCount? = nil,
                                               use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.PATCH, path, maxBody: maxBody, use: handler)
    }

    @discardableResult
    func delete<Answer: AsyncResponseEncodable>(_ path: PathComponent..., use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.DELETE, path, use: handler)
    }
}

/// What an API route checks before its handler runs, in this order: the token (``TokenAuth``: one that is
/// presented but not valid is a 401 on every path), the caller's level (its group's `caller`: 401 without
/// a token, 403 for a non-admin on an admin route), then the body (``RequestBodies``), so a route that
/// needs a token answers 401 without reading a byte of what an anonymous client sends. Part of the route's
/// own responder, they cost a request nothing where they have nothing to do: as three middleware each was
/// a responder's hop, and the token look-up a step of its own.
struct RouteGate: Sendable {
    /// Nil for the operational routes: a prober's header is never read.
    let tokens: TokenAuth?
    /// Every route's body, the operational routes' included (one they ignore is still read, as Vapor's
    /// collect route does, within the same bounds).
    let bodies: RequestBodies
}

/// Runs a route's answer (its gate, its handler) as the last step of the request's own task
/// (``Request/answerInTask(_:)``). Vapor's own responder would run the handler on a task of its own and
/// chain three futures more per request.
struct HandlerResponder: Responder {
    let answer: @Sendable (Request) async throws -> Response

    func respond(to request: Request) -> EventLoopFuture<Response> {
        let answer = answer
        return request.answerInTask { try await answer(request) }
    }
}

/// The four groups every route is registered on; `routes(_:)` builds them once.
struct APIRoutes {
    let operational: GuardedRoutes<Void>
    let anyone: GuardedRoutes<Principal?>
    let user: GuardedRoutes<Principal>
    let admin: GuardedRoutes<Principal>

    init(app: Application, server: ServerContext, bodies: RequestBodies) {
        let gate = RouteGate(tokens: TokenAuth(sessions: server.domain.sessions), bodies: bodies)
        let limit = app.routes.defaultMaxBodySize
        operational = GuardedRoutes(builder: app, access: .operational, defaultMaxBody: limit,
                                    gate: RouteGate(tokens: nil, bodies: bodies)) { _ in }
        anyone = GuardedRoutes(builder: app, access: .anyone, defaultMaxBody: limit, gate: gate) { $0.principal }
        user = GuardedRoutes(builder: app, access: .user, defaultMaxBody: limit, gate: gate) { request in
            try Access.user.caller(of: request)
        }
        admin = GuardedRoutes(builder: app, access: .admin, defaultMaxBody: limit, gate: gate) { request in
            try Access.admin.caller(of: request)
        }
    }
}

extension Access {
    /// The principal a user or admin route may serve: 401 without a token, 403 for a non-admin on an admin route.
    func caller(of request: Request) throws -> Principal {
        guard let principal = request.principal else { throw AppError.authenticationRequired }
        if self == .admin, !principal.user.isAdmin { throw AppError.adminRequired }
        return principal
    }
}

/// A controller registers its routes on the groups of the access levels it serves.
protocol APIController: Sendable {
    func boot(routes: APIRoutes)
}

extension Request {
    /// The `:id` of the path. Every path parameter is an integer id, so a path whose id is not an integer
    /// names nothing: `notFound`, or 405 when another route serves that path (`GET /users/me/` is served,
    /// `DELETE /users/me/` is not).
    func pathID(_ name: String = "id", notFound: AppError) throws -> Int {
        guard let id = parameters.get(name, as: Int.self) else { throw UnservedPath(notFound: notFound) }
        return id
    }
}

/// A path id that is not an integer: the route's pattern matched, but the path names nothing it serves.
struct UnservedPath: Error {
    /// The answer when no other route serves the path either.
    let notFound: AppError
}
