import BookingDomain
import Crypto
import Foundation
import Vapor

/// Browser sessions: a cookie holding a session token of kind `web` (stored hashed with the API tokens,
/// so it expires like them, is revoked on logout and deactivation, and every replica knows it), and a
/// CSRF token every state-changing form carries.
///
/// The CSRF token is derived from a random per-browser cookie (`booking_csrf`) and the session token, so
/// it changes when someone logs in or out, and another browser's or another session's token never
/// matches. Both cookies are `HttpOnly` and `SameSite=Lax`, and `Secure` with `COOKIE_SECURE`.
struct WebSessionMiddleware: AsyncMiddleware {
    let server: ServerContext
    static let sessionCookie = "booking_session"
    static let csrfCookie = "booking_csrf"
    static let csrfField = "_csrf"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let token = request.cookies[Self.sessionCookie]?.string, (16...256).contains(token.utf8.count),
           let principal = try await server.domain.sessions.authenticate(token: token, kind: .web) {
            request.webSession = WebSession(principal: principal, token: token)
        }
        let sentSeed = request.cookies[Self.csrfCookie]?.string
        let browser = sentSeed.flatMap { $0.isVisibleASCII(lengths: 43...43) ? $0 : nil }
        let csrfSeed = browser ?? SessionService.makeToken()
        request.csrfSeed = csrfSeed
        let response = try await next.respond(to: request)
        if browser == nil {
            response.cookies[Self.csrfCookie] = Self.cookie(csrfSeed, secure: server.config.cookieSecure, maxAge: nil)
        }
        // Pages show one person's data: never kept by a shared cache.
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func cookie(_ value: String, secure: Bool, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, maxAge: maxAge, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }
}

/// The signed-in browser session of a request.
struct WebSession: Sendable {
    let principal: Principal
    /// The raw session token, from the cookie: the CSRF token is derived from it.
    let token: String
    var user: User { principal.user }
}

extension Request {
    private struct WebSessionKey: StorageKey { typealias Value = WebSession }
    private struct CSRFSeedKey: StorageKey { typealias Value = String }

    var webSession: WebSession? {
        get { storage[WebSessionKey.self] }
        set { storage[WebSessionKey.self] = newValue }
    }

    var csrfSeed: String {
        get { storage[CSRFSeedKey.self] ?? "" }
        set { storage[CSRFSeedKey.self] = newValue }
    }

    /// The token this browser's forms carry, for its current session (or none).
    var csrfToken: String {
        let material = "csrf|\(csrfSeed)|\(webSession?.token ?? "")"
        return SHA256.hash(data: Data(material.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Refuses a form without this browser's and session's CSRF token, before anything is changed.
    func checkCSRF(_ sent: String?) throws {
        guard let sent, sent.utf8.count == 64, constantTimeEqual(sent, csrfToken) else { throw PageError.csrf }
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Why a page refuses a request before it reaches the domain.
enum PageError: Error {
    /// The form's CSRF token is missing or not this session's.
    case csrf
    /// The page needs a signed-in user.
    case signInRequired(next: String)
    /// The page is an admin's.
    case adminRequired
    case notFound
}
