import Vapor

struct UserController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let users = routes.grouped("users")
        users.post(use: create)
        users.get(use: index)
    }

    /// Anyone may sign up; an admin's token additionally allows `is_admin`.
    @Sendable func create(req: Request) async throws -> Response {
        let body = try req.decodeJSON(SignUpRequest.self)
        let user = try await req.domain.accounts.register(body.registration, by: req.principal?.user)
        return try await UserResponse(user).encodeResponse(status: .created, for: req)
    }

    @Sendable func index(req: Request) async throws -> [UserResponse] {
        let viewer = try req.requireUser()
        return try await req.domain.accounts.users(visibleTo: viewer).map(UserResponse.init)
    }
}
