import BookingDomain
import Vapor

struct UserController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        let users = routes.user.grouped("users")
        routes.anyone.post("users", use: create)
        users.get(use: index)
        users.get("me", use: me)
        users.patch("me", use: updateMe)
        users.post("me", "password", use: changePassword)
        users.get(":id", use: show)
        routes.admin.grouped("users").patch(":id", use: setFlags)
    }

    /// Anyone may sign up (so many times an hour per address); an admin's token additionally allows `is_admin`.
    @Sendable func create(req: Request, caller: Principal?) async throws -> Response {
        let body = try req.decodeJSON(SignUpRequest.self)
        let user = try await server.domain.accounts.register(body.registration, by: caller?.user, from: server.clientAddress(of: req))
        return try await UserResponse(user).encodeResponse(status: .created, for: req)
    }

    /// `?search=text&limit=1...1000&offset=N` (admins; anyone else sees only themself).
    @Sendable func index(req: Request, caller: Principal) async throws -> [UserResponse] {
        let users = try await server.domain.accounts.users(
            visibleTo: caller.user, search: req.queryText("search"),
            limit: try req.integerQuery("limit") ?? Paging.defaultSize,
            offset: try req.integerQuery("offset") ?? 0
        )
        return users.map(UserResponse.init)
    }

    @Sendable func me(req: Request, caller: Principal) async throws -> UserResponse {
        UserResponse(caller.user)
    }

    /// `{"notifications": {"booking": false, ...}}`: the kinds of e-mail named are turned on or off.
    @Sendable func updateMe(req: Request, caller: Principal) async throws -> UserResponse {
        let body = try req.decodeJSON(UserPreferencesRequest.self)
        return UserResponse(try await server.domain.accounts.setNotifications(of: caller.user, body.notifications ?? [:]))
    }

    /// Needs the current password; every other session of the user is revoked. 204.
    @Sendable func changePassword(req: Request, caller: Principal) async throws -> HTTPStatus {
        let body = try req.decodeJSON(PasswordChangeRequest.self)
        try await server.domain.accounts.changePassword(
            of: caller, current: body.oldPassword, new: body.newPassword, confirmation: body.confirmPassword,
            from: server.clientAddress(of: req))
        return .noContent
    }

    /// An admin reads anyone; anyone else only themself.
    @Sendable func show(req: Request, caller: Principal) async throws -> UserResponse {
        let id = try req.pathID(notFound: .userNotFound)
        return UserResponse(try await server.domain.accounts.user(id: id, visibleTo: caller.user))
    }

    /// Admin: `{"is_admin": bool, "is_active": bool}`, either or both.
    @Sendable func setFlags(req: Request, caller: Principal) async throws -> UserResponse {
        let id = try req.pathID(notFound: .userNotFound)
        let body = try req.decodeJSON(UserFlagsRequest.self)
        return UserResponse(try await server.domain.accounts.setFlags(userID: id, isAdmin: body.isAdmin, isActive: body.isActive, by: .user(caller.user.id)))
    }
}
