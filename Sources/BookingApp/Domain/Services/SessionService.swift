import Foundation

/// Logging in and out, and recognising a token on later requests.
public struct SessionService: Sendable {
    let database: DatabaseHandle
    let passwords: any PasswordHashing
    let tokenTTL: TimeInterval
    /// A real hash checked when the username is unknown, so a wrong username costs the same time as a
    /// wrong password and does not reveal which accounts exist.
    let decoyPasswordHash: String
    let metrics: ServiceMetrics

    /// Failed logins allowed per username, and per client address, within `throttleWindow`.
    static let maxFailuresPerUsername = 5
    static let maxFailuresPerAddress = 20
    static let throttleWindow: TimeInterval = 15 * 60

    /// Checks a username and password. After too many failures for the username or from the address
    /// it answers 429 without running Bcrypt; the counts live in the database, shared by every replica.
    /// Attempts already past the check when the limit is reached may each add one more failure.
    public func login(username: String?, password: String?, from address: String) async throws -> Session {
        let username = try Validate.required(username, field: "username")
        let password = try Validate.required(password, field: "password")
        guard username.count <= Validate.usernameLength.upperBound else { throw AppError.invalidCredentials }

        let now = Date(), windowStart = now.addingTimeInterval(-Self.throttleWindow)
        let usernameKey = username.uniquenessKey
        let counts = try await LoginAttemptStore(sql: database.sql).counts(usernameKey: usernameKey, address: address, since: windowStart)
        if counts.forUsername >= Self.maxFailuresPerUsername || counts.forAddress >= Self.maxFailuresPerAddress {
            let reopens = (counts.oldest ?? now).addingTimeInterval(Self.throttleWindow)
            metrics.login(.throttled)
            throw AppError.tooManyLoginAttempts(retryAfter: max(1, Int(reopens.timeIntervalSince(now).rounded(.up))))
        }
        do {
            let session = try await verify(username: username, password: password)
            try await database.write { sql in try await LoginAttemptStore(sql: sql).deleteAll(usernameKey: usernameKey) }
            metrics.login(.success)
            return session
        } catch AppError.invalidCredentials {
            metrics.login(.failure)
            try await database.write { sql in
                try await LoginAttemptStore(sql: sql).recordFailure(usernameKey: usernameKey, address: address, at: Date())
            }
            throw AppError.invalidCredentials
        }
    }

    private func verify(username: String, password: String) async throws -> Session {
        let store = UserStore(sql: database.sql)
        // A deactivated account gets the same answer as a wrong password.
        guard let account = try await store.credentials(username: username), account.user.isActive else {
            _ = try await passwords.verify(password, against: decoyPasswordHash)
            throw AppError.invalidCredentials
        }
        guard try await passwords.verify(password, against: account.passwordHash) else {
            throw AppError.invalidCredentials
        }

        let token = Self.makeToken()
        let now = Date()
        let expiresAt = now.addingTimeInterval(tokenTTL)
        let userID = account.user.id, tokenHash = Self.hash(token: token)
        try await database.write { sql in
            try await TokenStore(sql: sql).insert(tokenHash: tokenHash, userID: userID, createdAt: now, expiresAt: expiresAt)
        }
        return Session(token: token, expiresAt: expiresAt, user: account.user)
    }

    /// Revokes the token that authenticated this request; the user's other sessions stay valid.
    public func logout(_ principal: Principal) async throws {
        let tokenHash = principal.tokenHash
        try await database.write { sql in try await TokenStore(sql: sql).delete(tokenHash: tokenHash) }
    }

    /// The principal behind a token, or nil when the token is unknown, revoked or expired.
    public func authenticate(token: String) async throws -> Principal? {
        let tokenHash = Self.hash(token: token)
        guard let user = try await TokenStore(sql: database.sql).user(forTokenHash: tokenHash, at: Date()) else {
            return nil
        }
        return Principal(user: user, tokenHash: tokenHash)
    }

    /// 256 bits from the system's secure generator, URL-safe base64 without padding (43 characters).
    static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(token: String) -> String {
        token.sha256Hex
    }
}
