import Foundation

/// The limits on checking passwords (logins, and the old password of a password change), and the one way
/// a password is checked under them.
///
/// Every check is recorded *before* it is made and counted with its own record, so concurrency cannot get
/// more checks past a limit than the limit, on any number of servers. Within any 15 minutes:
/// - **one account from one address**: 5 guesses; the user's own typos, forgiven once they get in;
/// - **one address, any account**: 20 guesses, so one address cannot spray many accounts;
/// - **one account from addresses it has not logged in from in the last 30 days**: 10 guesses, whatever
///   the number of addresses. An online guesser gets at most these 10 per account per window (5 more only
///   from an address the user really logs in from), and because the real user's usual addresses are not
///   in this count, an attacker elsewhere cannot lock them out: they are limited only by their own typos.
///
/// A refused guess is not checked and not kept, so a client waiting its `Retry-After` is let in.
public struct PasswordGuesses: Sendable {
    public static let window = ThrottleWindow(length: 15 * 60)
    public static let perAccountAndAddress = 5
    public static let perAddress = 20
    public static let perAccountFromNewAddresses = 10
    /// How long a successful login makes an address "usual" for the account.
    public static let trustLifetime: TimeInterval = 30 * 86400

    let attempts: any LoginAttemptStore
    let trust: any LoginTrustStore
    let clock: any WallClock

    public init(storage: any Storage, clock: any WallClock) {
        attempts = storage.loginAttempts
        trust = storage.loginTrust
        self.clock = clock
    }

    /// Checks a password for `usernameKey` from `address` with `verify`, unless a limit is reached.
    /// `verify` is told whether the address is one the account logs in from, so the check can go ahead of
    /// others waiting for the hasher: a flood of guesses from elsewhere delays the real user by one hash
    /// at most, and never gets them refused for a full queue.
    ///
    /// - Returns: what `verify` answered. A right password forgives the account's guesses from that
    ///   address and makes the address a usual one; a wrong one stays counted.
    /// - Throws: ``AppError/tooManyLoginAttempts(retryAfter:)`` without calling `verify`; whatever `verify`
    ///   throws (the guess is then taken back: it was not checked).
    public func check(usernameKey: String, address: String, _ verify: (_ fromUsualAddress: Bool) async throws -> Bool) async throws -> Bool {
        let now = clock.now()
        let trusted = try await trust.isTrusted(usernameKey: usernameKey, address: address, since: now.addingTimeInterval(-Self.trustLifetime))
        let tally = try await attempts.record(usernameKey: usernameKey, address: address, fromTrustedAddress: trusted,
                                              at: now, windowStart: Self.window.start(at: now))
        if let retryAfter = Self.refusal(tally, fromTrustedAddress: trusted, now: now) {
            try await attempts.forget(attemptID: tally.attemptID)
            throw AppError.tooManyLoginAttempts(retryAfter: retryAfter)
        }
        let right: Bool
        do {
            right = try await verify(trusted)
        } catch {
            try? await attempts.forget(attemptID: tally.attemptID)
            throw error
        }
        if right {
            try await attempts.forgive(usernameKey: usernameKey, address: address)
            try await trust.remember(usernameKey: usernameKey, address: address, at: clock.now())
        }
        return right
    }

    /// Counts a secret that opened nothing (a calendar feed's token, an unsubscribe link's) as a wrong guess
    /// from `address` under `key` (never a username: it has a `#`), recorded before it is counted, and
    /// answers the refusal once the address has guessed more than ``perAddress`` times in the window
    /// (the refused guess is not kept, as a refused login's is not).
    public static func wrongSecret(key: String, from address: String, storage: any Storage, at now: Date) async throws -> AppError? {
        let tally = try await storage.loginAttempts.record(usernameKey: key, address: address, fromTrustedAddress: true, at: now,
                                                           windowStart: window.start(at: now))
        guard tally.forAddress > perAddress else { return nil }
        try await storage.loginAttempts.forget(attemptID: tally.attemptID)
        return .tooManyLoginAttempts(retryAfter: window.retryAfter(oldest: tally.oldestForAddress, now: now))
    }

    /// Nil when every scope this guess belongs to is within its limit; otherwise the seconds until the
    /// last scope over its limit has room again. A guess from a usual address is not in the account's
    /// new-address scope.
    static func refusal(_ tally: LoginAttemptTally, fromTrustedAddress: Bool, now: Date) -> Int? {
        var scopes: [(count: Int, limit: Int, oldest: Date?)] = [
            (tally.forPair, perAccountAndAddress, tally.oldestForPair),
            (tally.forAddress, perAddress, tally.oldestForAddress),
        ]
        if !fromTrustedAddress {
            scopes.append((tally.forAccountFromNewAddresses, perAccountFromNewAddresses, tally.oldestForAccountFromNewAddresses))
        }
        let waits = scopes.filter { $0.count > $0.limit }.map { window.retryAfter(oldest: $0.oldest, now: now) }
        return waits.max()
    }
}
