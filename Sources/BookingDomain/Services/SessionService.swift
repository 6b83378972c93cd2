import Foundation

/// Logging in and out, and recognising a token on later requests.
public struct SessionService: Sendable {
    let storage: any Storage
    let passwords: any PasswordHashing
    let clock: any WallClock
    let tokenTTL: TimeInterval
    /// A real hash checked when the username is unknown, so a wrong username costs the same time as a
    /// wrong password and does not reveal which accounts exist.
    let decoyPasswordHash: @Sendable () async throws -> String
    let metrics: ServiceMetrics

    public init(storage: any Storage, passwords: any PasswordHashing, clock: any WallClock, tokenTTL: TimeInterval,
                decoyPasswordHash: @escaping @Sendable () async throws -> String, metrics: ServiceMetrics) {
        self.storage = storage
        self.passwords = passwords
        self.clock = clock
        self.tokenTTL = tokenTTL
        self.decoyPasswordHash = decoyPasswordHash
        self.metrics = metrics
    }

    var guesses: PasswordGuesses {
        PasswordGuesses(storage: storage, clock: clock)
    }

    /// Checks a username and password, under the limits of ``PasswordGuesses``: past them it answers 429
    /// without running Bcrypt, however many requests arrive at once on however many servers.
    public func login(username: String?, password: String?, from address: String, kind: Session.Kind = .api) async throws -> Session {
        let username = try Validate.required(username, field: "username")
        let password = try Validate.required(password, field: "password")
        guard username.unicodeScalars.count <= Validate.usernameLength.upperBound else { throw AppError.invalidCredentials }

        var user: User?
        do {
            let right = try await guesses.check(usernameKey: username.uniquenessKey, address: address) { usual in
                user = try await verify(username: username, password: password, first: usual)
                return user != nil
            }
            guard right, let user else {
                metrics.login(.failure)
                throw AppError.invalidCredentials
            }
            let token = Self.makeToken()
            let now = clock.now()
            let expiresAt = now.addingTimeInterval(tokenTTL)
            try await storage.tokens.insert(tokenHash: Self.hash(token: token), kind: kind, userID: user.id, createdAt: now, expiresAt: expiresAt)
            metrics.login(.success)
            return Session(token: token, expiresAt: expiresAt, user: user)
        } catch AppError.tooManyLoginAttempts(let retryAfter) {
            metrics.login(.throttled)
            throw AppError.tooManyLoginAttempts(retryAfter: retryAfter)
        }
    }

    /// The active user whose password this is; nil for a wrong password, an unknown username or a
    /// deactivated account, which cost the same time.
    private func verify(username: String, password: String, first: Bool) async throws -> User? {
        guard let account = try await storage.users.credentials(username: username), account.user.isActive else {
            _ = try await passwords.verify(password, against: try await decoyPasswordHash(), first: first)
            return nil
        }
        return try await passwords.verify(password, against: account.passwordHash, first: first) ? account.user : nil
    }

    /// Revokes the token that authenticated this request; the user's other sessions stay valid.
    public func logout(_ principal: Principal) async throws {
        try await storage.tokens.delete(tokenHash: principal.tokenHash)
    }

    /// The principal behind a token of `kind`, or nil when the token is unknown, revoked, expired or of the other kind.
    public func authenticate(token: String, kind: Session.Kind = .api) async throws -> Principal? {
        let tokenHash = Self.hash(token: token)
        guard let user = try await storage.tokens.user(forTokenHash: tokenHash, kind: kind, at: clock.now()) else {
            return nil
        }
        return Principal(user: user, tokenHash: tokenHash)
    }

    /// 256 bits from the system's secure generator, URL-safe base64 without padding (43 characters).
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Whether `token` has the form ``makeToken()`` gives (43 URL-safe base64 characters): anything else is
    /// no token of ours, answered without a look-up.
    public static func isWellFormed(token: String) -> Bool {
        token.utf8.count == 43 && token.utf8.allSatisfy(\.isURLSafeBase64)
    }

    /// What is stored of a token: its SHA-256, so a copy of the database lets nobody log in.
    public static func hash(token: String) -> String {
        token.sha256Hex
    }
}
