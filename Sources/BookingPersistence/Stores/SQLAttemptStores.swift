import BookingDomain
import Foundation
import SQLKit

struct SQLLoginAttemptStore: LoginAttemptStore {
    let session: SQLSession

    func recordFailure(usernameKey: String, address: String, at now: Date) async throws {
        try await session.write { sql in
            try await sql.raw("""
                INSERT INTO login_attempts (username_key, client_address, attempted_at)
                VALUES (\(bind: usernameKey), \(bind: address), \(bind: now))
                """).run()
        }
    }

    func counts(usernameKey: String, address: String, since windowStart: Date) async throws
        -> (forUsername: Int, forAddress: Int, oldest: Date?) {
        let username = try await session.sql.raw("""
            SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM login_attempts
            WHERE username_key = \(bind: usernameKey) AND attempted_at > \(bind: windowStart)
            """).first()
        let address = try await session.sql.raw("""
            SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM login_attempts
            WHERE client_address = \(bind: address) AND attempted_at > \(bind: windowStart)
            """).first()
        let oldest = [try username?.decode(column: "oldest", as: Date?.self), try address?.decode(column: "oldest", as: Date?.self)]
            .compactMap { $0 ?? nil }.min()
        return (try username?.decode(column: "n", as: Int.self) ?? 0, try address?.decode(column: "n", as: Int.self) ?? 0, oldest)
    }

    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "login_attempts", key: ["id"], where: "attempted_at <= \(bind: windowStart)", limit: limit)
    }

    func deleteAll(usernameKey: String) async throws {
        try await session.write { sql in
            try await sql.raw("DELETE FROM login_attempts WHERE username_key = \(bind: usernameKey)").run()
        }
    }
}

struct SQLSignupAttemptStore: SignupAttemptStore {
    let session: SQLSession

    func record(address: String, at now: Date, windowStart: Date) async throws -> (count: Int, oldest: Date?) {
        try await session.write { sql in
            try await sql.raw("""
                INSERT INTO signup_attempts (client_address, attempted_at) VALUES (\(bind: address), \(bind: now))
                """).run()
            let row = try await sql.raw("""
                SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM signup_attempts
                WHERE client_address = \(bind: address) AND attempted_at > \(bind: windowStart)
                """).first()
            return (try row?.decode(column: "n", as: Int.self) ?? 0, try row?.decode(column: "oldest", as: Date?.self))
        }
    }

    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "signup_attempts", key: ["id"], where: "attempted_at <= \(bind: windowStart)", limit: limit)
    }
}
