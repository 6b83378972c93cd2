import Foundation

/// Access tokens, kept only as hashes with an expiry.
public protocol TokenStore: Sendable {
    func insert(tokenHash: String, kind: Session.Kind, userID: Int, createdAt: Date, expiresAt: Date) async throws
    /// The active owner of an unexpired token of that kind.
    func user(forTokenHash tokenHash: String, kind: Session.Kind, at now: Date) async throws -> User?
    func delete(tokenHash: String) async throws
    /// Revokes every token of a user, except `keeping` if given.
    func deleteAll(userID: Int, keeping kept: String?) async throws
    /// Deletes up to `limit` tokens of anyone that expired by `now`; returns how many.
    func deleteExpired(at now: Date, limit: Int) async throws -> Int
}
