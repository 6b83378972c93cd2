import BookingDomain
import Vapor

struct SessionController: APIController {
    func boot(routes: APIRoutes) {
        routes.anyone.post("login", use: login)
        routes.user.post("logout", use: logout)
    }

    @Sendable func login(req: Request, caller: Principal?) async throws -> LoginResponse {
        let body = try req.decodeJSON(LoginRequest.self)
        let session = try await req.domain.sessions.login(username: body.username, password: body.password,
                                                          from: req.clientAddress)
        return LoginResponse(session)
    }

    /// Revokes only the token presented; the user's other sessions stay valid.
    @Sendable func logout(req: Request, caller: Principal) async throws -> HTTPStatus {
        try await req.domain.sessions.logout(caller)
        return .noContent
    }
}
