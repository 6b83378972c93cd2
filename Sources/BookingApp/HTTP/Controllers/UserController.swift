import Vapor

struct UserController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let users = routes.grouped("users")
        users.post(use: create)
        users.get(use: index)
        users.get("me", use: me)
        users.post("me", "password", use: changePassword)
        users.get(":id", use: show)
        users.patch(":id", use: setFlags)
    }

    /// Anyone may sign up (so many times an hour per address); an admin's token additionally allows `is_admin`.
    @Sendable func create(req: Request) async throws -> Response {
        let body = try req.decodeJSON(SignUpRequest.self)
        let user = try await req.domain.accounts.register(body.registration, by: req.principal?.user, from: req.clientAddress)
        return try await UserResponse(user).encodeResponse(status: .created, for: req)
    }

    /// `?search=text&limit=1...1000&offset=N` (admins; anyone else sees only themself).
    @Sendable func index(req: Request) async throws -> [UserResponse] {
        let viewer = try req.requireUser()
        let users = try await req.domain.accounts.users(
            visibleTo: viewer, search: req.query[String.self, at: "search"],
            limit: try req.integerQuery("limit") ?? Paging.defaultSize,
            offset: try req.integerQuery("offset") ?? 0
        )
        return users.map(UserResponse.init)
    }

    @Sendable func me(req: Request) async throws -> UserResponse {
        UserResponse(try req.requireUser())
    }

    /// Needs the current password; every other session of the user is revoked. 204.
    @Sendable func changePassword(req: Request) async throws -> HTTPStatus {
        guard let principal = req.principal else { throw AppError.authenticationRequired }
        let body = try req.decodeJSON(PasswordChangeRequest.self)
        try await req.domain.accounts.changePassword(
            of: principal, current: body.oldPassword, new: body.newPassword, confirmation: body.confirmPassword)
        return .noContent
    }

    /// An admin reads anyone; anyone else only themself.
    @Sendable func show(req: Request) async throws -> UserResponse {
        let viewer = try req.requireUser()
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError.userNotFound }
        return UserResponse(try await req.domain.accounts.user(id: id, visibleTo: viewer))
    }

    /// Admin: `{"is_admin": bool, "is_active": bool}`, either or both.
    @Sendable func setFlags(req: Request) async throws -> UserResponse {
        _ = try req.requireAdmin()
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError.userNotFound }
        let body = try req.decodeJSON(UserFlagsRequest.self)
        return UserResponse(try await req.domain.accounts.setFlags(userID: id, isAdmin: body.isAdmin, isActive: body.isActive))
    }
}
