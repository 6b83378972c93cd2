import Foundation

/// The result of a successful login: the only time the raw token is ever seen.
public struct Session: Sendable {
    /// What carries a session: an API token (`Authorization` header), or a browser's cookie. Each is
    /// accepted only where it belongs: a cookie is no API token, and an API token no cookie.
    public enum Kind: String, Sendable {
        case api, web
    }

    public let token: String
    public let expiresAt: Date
    public let user: User
}

/// Who is making a request, as established from a valid token.
public struct Principal: Sendable {
    public let user: User
    /// Hash of the token that authenticated the request, so logout can revoke exactly that one.
    public let tokenHash: String

    public init(user: User, tokenHash: String) {
        self.user = user
        self.tokenHash = tokenHash
    }
}
