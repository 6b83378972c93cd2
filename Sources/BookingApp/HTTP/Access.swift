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
    let caller: @Sendable (Request) throws -> Caller

    func grouped(_ path: PathComponent...) -> GuardedRoutes {
        GuardedRoutes(builder: builder.grouped(path), access: access, caller: caller)
    }

    @discardableResult
    func on<Answer: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ path: [PathComponent], use handler: @escaping @Sendable (Request, Caller) async throws -> Answer
    ) -> Route {
        let caller = self.caller
        let route = builder.on(method, path) { request in try await handler(request, try caller(request)) }
        route.userInfo[Access.routeInfoKey] = access
        return route
    }

    @discardableResult
    func get<Answer: AsyncResponseEncodable>(_ path: PathComponent..., use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.GET, path, use: handler)
    }

    @discardableResult
    func post<Answer: AsyncResponseEncodable>(_ path: PathComponent..., use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.POST, path, use: handler)
    }

    @discardableResult
    func patch<Answer: AsyncResponseEncodable>(_ path: PathComponent..., use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.PATCH, path, use: handler)
    }

    @discardableResult
    func delete<Answer: AsyncResponseEncodable>(_ path: PathComponent..., use handler: @escaping @Sendable (Request, Caller) async throws -> Answer) -> Route {
        on(.DELETE, path, use: handler)
    }
}

/// The four groups every route is registered on; `routes(_:)` builds them once.
struct APIRoutes {
    let operational: GuardedRoutes<Void>
    let anyone: GuardedRoutes<Principal?>
    let user: GuardedRoutes<Principal>
    let admin: GuardedRoutes<Principal>

    /// The API groups sit behind `TokenAuthMiddleware`, which reads the token; the operational group does not.
    init(app: Application) {
        let api = app.grouped(TokenAuthMiddleware())
        operational = GuardedRoutes(builder: app, access: .operational) { _ in }
        anyone = GuardedRoutes(builder: api, access: .anyone) { $0.principal }
        user = GuardedRoutes(builder: api, access: .user) { request in
            guard let principal = request.principal else { throw AppError.authenticationRequired }
            return principal
        }
        admin = GuardedRoutes(builder: api, access: .admin) { request in
            guard let principal = request.principal else { throw AppError.authenticationRequired }
            guard principal.user.isAdmin else { throw AppError.adminRequired }
            return principal
        }
    }
}

/// A controller registers its routes on the groups of the access levels it serves.
protocol APIController: Sendable {
    func boot(routes: APIRoutes)
}

extension Request {
    /// The `:id` of the path. Every path parameter is an integer id, so a path whose id is not an integer
    /// names nothing: `notFound`, or 405 when another route serves that path (`GET /users/me/` is served,
    /// `PATCH /users/me/` is not).
    func pathID(notFound: AppError) throws -> Int {
        guard let id = parameters.get("id", as: Int.self) else { throw UnservedPath(notFound: notFound) }
        return id
    }
}

/// A path id that is not an integer: the route's pattern matched, but the path names nothing it serves.
struct UnservedPath: Error {
    /// The answer when no other route serves the path either.
    let notFound: AppError
}
