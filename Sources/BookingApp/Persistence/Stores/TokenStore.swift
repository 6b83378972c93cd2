import Foundation
import SQLKit

/// Access tokens, kept only as SHA-256 hashes with an expiry.
struct TokenStore {
    let sql: any SQLDatabase

    func insert(tokenHash: String, userID: Int, createdAt: Date, expiresAt: Date) async throws {
        try await sql.raw("""
            INSERT INTO access_tokens (token_hash, user_id, created_at, expires_at)
            VALUES (\(bind: tokenHash), \(bind: userID), \(bind: createdAt), \(bind: expiresAt))
            """).run()
    }

    /// The owner of an unexpired token, in one indexed lookup.
    func user(forTokenHash tokenHash: String, at now: Date) async throws -> User? {
        try await sql.raw("""
            SELECT \(User.columns(of: "u")) FROM access_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = \(bind: tokenHash) AND t.expires_at > \(bind: now) AND u.is_active = \(bind: true)
            """).first().map(User.init(row:))
    }

    func delete(tokenHash: String) async throws {
        try await sql.raw("DELETE FROM access_tokens WHERE token_hash = \(bind: tokenHash)").run()
    }

    /// Revokes every token of a user, except `keeping` if given.
    func deleteAll(userID: Int, keeping kept: String? = nil) async throws {
        try await sql.raw("""
            DELETE FROM access_tokens WHERE user_id = \(bind: userID) AND token_hash <> \(bind: kept ?? "")
            """).run()
    }

    /// Deletes up to `limit` expired tokens of anyone; returns how many.
    func deleteExpired(at now: Date, limit: Int) async throws -> Int {
        try await sql.raw("""
            DELETE FROM access_tokens WHERE token_hash IN (
                SELECT token_hash FROM access_tokens WHERE expires_at <= \(bind: now) LIMIT \(bind: limit))
            RETURNING 1
            """).all().count
    }
}
