import Foundation

/// The result of a successful login: the only time the raw token is ever seen.
public struct Session: Sendable {
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
