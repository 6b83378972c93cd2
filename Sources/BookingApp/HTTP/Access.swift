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
    let caller: @Sendable (Request) throws -> Caller

    func grouped(_ path: PathComponent...) -> GuardedRoutes {
        GuardedRoutes(builder: builder.grouped(path), access: access, defaultMaxBody: defaultMaxBody, caller: caller)
    }

    /// `maxBody`: the most bytes the route reads as a body (`RequestBodyMiddleware`); the application's
    /// default (16 KB) when nil.
    @discardableResult
    func on<Answer: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ path: [PathComponent], maxBody: ByteCount? = nil,
        use handler: @escaping @Sendable (Request, Caller) async throws -> Answer
    ) -> Route {
        let caller = self.caller
        let route = Route(method: method, path: path, responder: HandlerResponder(maxBody: (maxBody ?? defaultMaxBody).value) { request in
            try await handler(request, try caller(request)).encodeResponse(for: request)
        }, requestType: Request.self, responseType: Answer.self)
        builder.add(route)
        route.userInfo[Access.routeInfoKey] = access
        route.bodyLimit = maxBody?.value
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

/// Runs a route's handler as the last step of the request's own task (``Request/answerInTask(_:)``), with
/// its body read first, as Vapor's `body: .collect` route does, when nothing before it has read it (the
/// API groups' `RequestBodyMiddleware` has). Vapor's own responder would run the handler on a task of its
/// own and chain three futures more per request.
struct HandlerResponder: Responder {
    let maxBody: Int
    let handler: @Sendable (Request) async throws -> Response

    func respond(to request: Request) -> EventLoopFuture<Response> {
        let maxBody = maxBody, handler = handler
        return request.answerInTask {
            if request.body.data == nil, request.announcesBody {
                _ = try await request.body.collect(max: maxBody).get()
            }
            return try await handler(request)
        }
    }
}

/// The four groups every route is registered on; `routes(_:)` builds them once.
struct APIRoutes {
    let operational: GuardedRoutes<Void>
    let anyone: GuardedRoutes<Principal?>
    let user: GuardedRoutes<Principal>
    let admin: GuardedRoutes<Principal>

    /// The API groups sit behind `TokenAuthMiddleware`, which reads the token, then check the caller's level
    /// (`RequireAccessMiddleware`) before `RequestBodyMiddleware` reads a byte of the body: a route that
    /// needs a token answers 401 without reading what an anonymous client sends. The operational group
    /// reads neither tokens nor bodies.
    init(app: Application, server: ServerContext, body: RequestBodyMiddleware) {
        let api = app.grouped(TokenAuthMiddleware(sessions: server.domain.sessions))
        let limit = app.routes.defaultMaxBodySize
        operational = GuardedRoutes(builder: app, access: .operational, defaultMaxBody: limit) { _ in }
        anyone = GuardedRoutes(builder: api.grouped(body), access: .anyone, defaultMaxBody: limit) { $0.principal }
        user = GuardedRoutes(builder: api.grouped(RequireAccessMiddleware(access: .user), body), access: .user,
                             defaultMaxBody: limit) { request in
            try Access.user.caller(of: request)
        }
        admin = GuardedRoutes(builder: api.grouped(RequireAccessMiddleware(access: .admin), body), access: .admin,
                              defaultMaxBody: limit) { request in
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

/// Refuses a caller below the route group's level before anything else is read.
struct RequireAccessMiddleware: Middleware {
    let access: Access

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        do {
            _ = try access.caller(of: request)
        } catch {
            return request.eventLoop.makeFailedFuture(error)
        }
        return next.respond(to: request)
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
