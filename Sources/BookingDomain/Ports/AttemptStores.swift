import Foundation

/// Password guesses (logins and password changes), for throttling them per account and client address.
public protocol LoginAttemptStore: Sendable {
    /// Records a guess about to be checked, then counts the guesses made after `windowStart` (this one
    /// included) in each scope. Recording before counting, as two statements, means that of any number of
    /// concurrent guesses on any number of servers, the k-th to be recorded counts at least k.
    func record(usernameKey: String, address: String, fromTrustedAddress: Bool, at now: Date, windowStart: Date) async throws
        -> LoginAttemptTally
    /// Takes back a recorded guess that was not checked after all (refused, shed, failed).
    func forget(attemptID: Int) async throws
    /// Forgives the guesses of one account from one address (the user's own typos, once they got in).
    func forgive(usernameKey: String, address: String) async throws
    /// Deletes up to `limit` guesses made at or before `windowStart`; returns how many.
    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int
}

/// A recorded guess and the guesses counted beside it, per scope, with the oldest of each scope.
public struct LoginAttemptTally: Sendable, Equatable {
    public let attemptID: Int
    /// This account from this address.
    public let forPair: Int
    public let oldestForPair: Date?
    /// Any account from this address.
    public let forAddress: Int
    public let oldestForAddress: Date?
    /// This account from addresses it has not logged in from before.
    public let forAccountFromNewAddresses: Int
    public let oldestForAccountFromNewAddresses: Date?

    public init(attemptID: Int, forPair: Int, oldestForPair: Date?, forAddress: Int, oldestForAddress: Date?,
                forAccountFromNewAddresses: Int, oldestForAccountFromNewAddresses: Date?) {
        self.attemptID = attemptID
        self.forPair = forPair
        self.oldestForPair = oldestForPair
        self.forAddress = forAddress
        self.oldestForAddress = oldestForAddress
        self.forAccountFromNewAddresses = forAccountFromNewAddresses
        self.oldestForAccountFromNewAddresses = oldestForAccountFromNewAddresses
    }
}

/// The addresses each account has logged in from, so that an attacker elsewhere cannot lock the real
/// user out.
public protocol LoginTrustStore: Sendable {
    /// Whether the account logged in successfully from `address` at or after `since`.
    func isTrusted(usernameKey: String, address: String, since: Date) async throws -> Bool
    /// Notes a successful login of the account from `address`.
    func remember(usernameKey: String, address: String, at now: Date) async throws
    /// Deletes up to `limit` entries last used at or before `before`; returns how many.
    func deleteOlder(than before: Date, limit: Int) async throws -> Int
}

/// Bookings, holds and waiting-list joins per user per window, for ``WriteLimit``.
public protocol WriteCountStore: Sendable {
    /// Counts one more write of `userID` in the window starting at `windowStart`, atomically; returns the
    /// window's count with it.
    func count(userID: Int, windowStart: Date) async throws -> Int
    /// Deletes up to `limit` windows that started before `before`; returns how many.
    func deleteOlder(than before: Date, limit: Int) async throws -> Int
}

/// Anonymous sign-up attempts, for throttling them per client address.
public protocol SignupAttemptStore: Sendable {
    /// Records an attempt, then answers how many the address has made after `windowStart` (this one
    /// included) and when the oldest of them was made. Recording first means concurrent attempts always
    /// count each other.
    func record(address: String, at now: Date, windowStart: Date) async throws -> (attemptID: Int, count: Int, oldest: Date?)
    /// Takes back an attempt that was refused: it cost nothing, so it does not count.
    func forget(attemptID: Int) async throws
    /// Deletes up to `limit` attempts made at or before `windowStart`; returns how many.
    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int
}
