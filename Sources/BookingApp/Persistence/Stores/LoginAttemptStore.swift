import Foundation
import SQLKit

/// Failed logins, for throttling.
struct LoginAttemptStore {
    let sql: any SQLDatabase

    struct Counts {
        let forUsername: Int
        let forAddress: Int
        /// When the oldest counted attempt leaves the window.
        let oldest: Date?
    }

    /// Records a failed login. Failures past the window no longer count; housekeeping deletes them.
    func recordFailure(usernameKey: String, address: String, at now: Date) async throws {
        try await sql.raw("""
            INSERT INTO login_attempts (username_key, client_address, attempted_at)
            VALUES (\(bind: usernameKey), \(bind: address), \(bind: now))
            """).run()
    }

    func counts(usernameKey: String, address: String, since windowStart: Date) async throws -> Counts {
        let username = try await sql.raw("""
            SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM login_attempts
            WHERE username_key = \(bind: usernameKey) AND attempted_at >= \(bind: windowStart)
            """).first()
        let address = try await sql.raw("""
            SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM login_attempts
            WHERE client_address = \(bind: address) AND attempted_at >= \(bind: windowStart)
            """).first()
        let oldest = [try username?.decode(column: "oldest", as: Date?.self), try address?.decode(column: "oldest", as: Date?.self)]
            .compactMap { $0 ?? nil }.min()
        return Counts(forUsername: try username?.decode(column: "n", as: Int.self) ?? 0,
                      forAddress: try address?.decode(column: "n", as: Int.self) ?? 0, oldest: oldest)
    }

    /// Deletes up to `limit` failures older than `windowStart`; returns how many.
    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int {
        try await sql.raw("""
            DELETE FROM login_attempts WHERE id IN (
                SELECT id FROM login_attempts WHERE attempted_at < \(bind: windowStart) LIMIT \(bind: limit))
            RETURNING 1
            """).all().count
    }

    /// After a successful login the username's failures are forgiven.
    func deleteAll(usernameKey: String) async throws {
        try await sql.raw("DELETE FROM login_attempts WHERE username_key = \(bind: usernameKey)").run()
    }
}
