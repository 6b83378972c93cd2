import Foundation
import SQLKit

/// Anonymous sign-up attempts, for throttling them per client address.
struct SignupAttemptStore {
    let sql: any SQLDatabase

    /// Records an attempt, then answers how many the address has made since `windowStart` (this one
    /// included) and when the oldest of them was made.
    func record(address: String, at now: Date, windowStart: Date) async throws -> (count: Int, oldest: Date?) {
        try await sql.raw("""
            INSERT INTO signup_attempts (client_address, attempted_at) VALUES (\(bind: address), \(bind: now))
            """).run()
        let row = try await sql.raw("""
            SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM signup_attempts
            WHERE client_address = \(bind: address) AND attempted_at >= \(bind: windowStart)
            """).first()
        return (try row?.decode(column: "n", as: Int.self) ?? 0, try row?.decode(column: "oldest", as: Date?.self))
    }

    /// Deletes up to `limit` attempts older than `windowStart`; returns how many.
    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int {
        try await sql.raw("""
            DELETE FROM signup_attempts WHERE id IN (
                SELECT id FROM signup_attempts WHERE attempted_at < \(bind: windowStart) LIMIT \(bind: limit))
            RETURNING 1
            """).all().count
    }
}
