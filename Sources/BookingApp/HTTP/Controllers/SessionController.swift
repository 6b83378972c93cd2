import Vapor

struct SessionController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("login", use: login)
        routes.post("logout", use: logout)
    }

    @Sendable func login(req: Request) async throws -> LoginResponse {
        let body = try req.decodeJSON(LoginRequest.self)
        let session = try await req.domain.sessions.login(username: body.username, password: body.password,
                                                          from: req.clientAddress)
        return LoginResponse(session)
    }

    /// Revokes only the token presented; the user's other sessions stay valid.
    @Sendable func logout(req: Request) async throws -> HTTPStatus {
        guard let principal = req.principal else { throw AppError.authenticationRequired }
        try await req.domain.sessions.logout(principal)
        return .noContent
    }
}
