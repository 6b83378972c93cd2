import Foundation

/// Failed logins, for throttling them per username and per client address.
public protocol LoginAttemptStore: Sendable {
    func recordFailure(usernameKey: String, address: String, at now: Date) async throws
    /// The failures after `windowStart` for the username and for the address, and when the oldest of them
    /// was made.
    func counts(usernameKey: String, address: String, since windowStart: Date) async throws
        -> (forUsername: Int, forAddress: Int, oldest: Date?)
    /// Deletes up to `limit` failures made at or before `windowStart`; returns how many.
    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int
    /// Forgives a username's failures.
    func deleteAll(usernameKey: String) async throws
}

/// Anonymous sign-up attempts, for throttling them per client address.
public protocol SignupAttemptStore: Sendable {
    /// Records an attempt, then answers how many the address has made after `windowStart` (this one
    /// included) and when the oldest of them was made. Recording first means concurrent attempts always
    /// count each other.
    func record(address: String, at now: Date, windowStart: Date) async throws -> (count: Int, oldest: Date?)
    /// Deletes up to `limit` attempts made at or before `windowStart`; returns how many.
    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int
}
