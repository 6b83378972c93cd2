import BookingDomain
import Vapor

struct SessionController: APIController {
    let server: ServerContext

    func boot(routes: APIRoutes) {
        routes.anyone.post("login", use: login)
        routes.user.post("logout", use: logout)
    }

    @Sendable func login(req: Request, caller: Principal?) async throws -> Response {
        let body = try req.decodeJSON(LoginRequest.self)
        let session = try await server.domain.sessions.login(username: body.username, password: body.password,
                                                          from: server.clientAddress(of: req))
        let response = try await LoginResponse(session).encodeResponse(for: req)
        // The answer carries a token: no cache may keep it.
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// Revokes only the token presented; the user's other sessions stay valid.
    @Sendable func logout(req: Request, caller: Principal) async throws -> HTTPStatus {
        try await server.domain.sessions.logout(caller)
        return .noContent
    }
}
