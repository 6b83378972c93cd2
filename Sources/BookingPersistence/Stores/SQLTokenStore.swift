import BookingDomain
import Foundation
import SQLKit

struct SQLTokenStore: TokenStore {
    let session: SQLSession

    func insert(tokenHash: String, kind: Session.Kind, userID: Int, createdAt: Date, expiresAt: Date) async throws {
        try await session.write { sql in
            try await sql.raw("""
                INSERT INTO access_tokens (token_hash, kind, user_id, created_at, expires_at)
                VALUES (\(bind: tokenHash), \(bind: kind.rawValue), \(bind: userID), \(bind: createdAt), \(bind: expiresAt))
                """).run()
        }
    }

    /// One indexed lookup.
    func user(forTokenHash tokenHash: String, kind: Session.Kind, at now: Date) async throws -> User? {
        try await session.sql.raw("""
            SELECT \(User.columns(of: "u")) FROM access_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = \(bind: tokenHash) AND t.kind = \(bind: kind.rawValue) AND t.expires_at > \(bind: now)
              AND u.is_active = \(bind: true)
            """).first().map(User.init(row:))
    }

    func delete(tokenHash: String) async throws {
        try await session.write { sql in
            try await sql.raw("DELETE FROM access_tokens WHERE token_hash = \(bind: tokenHash)").run()
        }
    }

    func deleteAll(userID: Int, keeping kept: String?) async throws {
        try await session.write { sql in
            try await sql.raw("""
                DELETE FROM access_tokens WHERE user_id = \(bind: userID) AND token_hash <> \(bind: kept ?? "")
                """).run()
        }
    }

    func deleteExpired(at now: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "access_tokens", key: ["token_hash"], where: "expires_at <= \(bind: now)", limit: limit)
    }
}
