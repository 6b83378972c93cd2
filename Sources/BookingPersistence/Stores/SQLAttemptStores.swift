import AsyncPrimitives
import BookingDomain
import Foundation
import SQLKit

struct SQLLoginAttemptStore: LoginAttemptStore {
    let session: SQLSession

    func record(usernameKey: String, address: String, fromTrustedAddress: Bool, at now: Date, windowStart: Date) async throws
        -> LoginAttemptTally {
        try await session.write { database in
            // Both statements on one connection, so the count cannot be kept waiting for the pool after the
            // guess is recorded; should it fail all the same, the record is taken back (a guess that was
            // never checked must not count).
            try await database.withSession { sql in
                // Two statements on purpose: the INSERT commits before the count reads, so every concurrent
                // guess committed earlier is counted (one statement would see neither its own row nor theirs).
                let inserted = try await sql.raw("""
                    INSERT INTO login_attempts (username_key, client_address, from_trusted, attempted_at)
                    VALUES (\(bind: usernameKey), \(bind: address), \(bind: fromTrustedAddress), \(bind: now))
                    RETURNING id
                    """).first()
                guard let id = try inserted?.decode(column: "id", as: Int.self) else {
                    throw DatabaseInvariantViolation("INSERT INTO login_attempts returned no id")
                }
                do {
                    return try await Self.tally(attemptID: id, usernameKey: usernameKey, address: address, windowStart: windowStart, on: sql)
                } catch {
                    try? await sql.raw("DELETE FROM login_attempts WHERE id = \(bind: id)").run()
                    throw error
                }
            }
        }
    }

    private static func tally(attemptID id: Int, usernameKey: String, address: String, windowStart: Date, on sql: any SQLDatabase) async throws
        -> LoginAttemptTally {
        let pair: SQLQueryString = "username_key = \(bind: usernameKey) AND client_address = \(bind: address)"
        let account: SQLQueryString = "username_key = \(bind: usernameKey) AND from_trusted = \(bind: false)"
        let address: SQLQueryString = "client_address = \(bind: address)"
        let row = try await sql.raw("""
            SELECT COUNT(*) FILTER (WHERE \(pair)) AS pair, MIN(attempted_at) FILTER (WHERE \(pair)) AS pair_oldest,
                   COUNT(*) FILTER (WHERE \(address)) AS address, MIN(attempted_at) FILTER (WHERE \(address)) AS address_oldest,
                   COUNT(*) FILTER (WHERE \(account)) AS account, MIN(attempted_at) FILTER (WHERE \(account)) AS account_oldest
            FROM login_attempts
            WHERE attempted_at > \(bind: windowStart) AND (username_key = \(bind: usernameKey) OR \(address))
            """).first()
        guard let row else { throw DatabaseInvariantViolation("an aggregate returned no row") }
        return LoginAttemptTally(
            attemptID: id,
            forPair: try row.decode(column: "pair", as: Int.self),
            oldestForPair: try row.decode(column: "pair_oldest", as: Date?.self),
            forAddress: try row.decode(column: "address", as: Int.self),
            oldestForAddress: try row.decode(column: "address_oldest", as: Date?.self),
            forAccountFromNewAddresses: try row.decode(column: "account", as: Int.self),
            oldestForAccountFromNewAddresses: try row.decode(column: "account_oldest", as: Date?.self)
        )
    }

    func forget(attemptID: Int) async throws {
        try await session.write { sql in
            try await sql.raw("DELETE FROM login_attempts WHERE id = \(bind: attemptID)").run()
        }
    }

    func forgive(usernameKey: String, address: String) async throws {
        try await session.write { sql in
            try await sql.raw("""
                DELETE FROM login_attempts WHERE username_key = \(bind: usernameKey) AND client_address = \(bind: address)
                """).run()
        }
    }

    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "login_attempts", key: ["id"], where: "attempted_at <= \(bind: windowStart)", limit: limit)
    }
}

struct SQLLoginTrustStore: LoginTrustStore {
    let session: SQLSession

    func isTrusted(usernameKey: String, address: String, since: Date) async throws -> Bool {
        try await session.sql.raw("""
            SELECT 1 AS found FROM login_trust
            WHERE username_key = \(bind: usernameKey) AND client_address = \(bind: address) AND last_success_at >= \(bind: since)
            """).first() != nil
    }

    func remember(usernameKey: String, address: String, at now: Date) async throws {
        try await session.write { sql in
            try await sql.raw("""
                INSERT INTO login_trust (username_key, client_address, last_success_at)
                VALUES (\(bind: usernameKey), \(bind: address), \(bind: now))
                ON CONFLICT (username_key, client_address) DO UPDATE SET last_success_at = excluded.last_success_at
                """).run()
        }
    }

    func deleteOlder(than before: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "login_trust", key: ["username_key", "client_address"],
                                      where: "last_success_at <= \(bind: before)", limit: limit)
    }
}

struct SQLSignupAttemptStore: SignupAttemptStore {
    let session: SQLSession

    func record(address: String, at now: Date, windowStart: Date) async throws -> (attemptID: Int, count: Int, oldest: Date?) {
        try await session.write { sql in
            let inserted = try await sql.raw("""
                INSERT INTO signup_attempts (client_address, attempted_at) VALUES (\(bind: address), \(bind: now)) RETURNING id
                """).first()
            guard let id = try inserted?.decode(column: "id", as: Int.self) else {
                throw DatabaseInvariantViolation("INSERT INTO signup_attempts returned no id")
            }
            let row = try await sql.raw("""
                SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM signup_attempts
                WHERE client_address = \(bind: address) AND attempted_at > \(bind: windowStart)
                """).first()
            return (id, try row?.decode(column: "n", as: Int.self) ?? 0, try row?.decode(column: "oldest", as: Date?.self))
        }
    }

    func forget(attemptID: Int) async throws {
        try await session.write { sql in
            try await sql.raw("DELETE FROM signup_attempts WHERE id = \(bind: attemptID)").run()
        }
    }

    func deleteOlder(than windowStart: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "signup_attempts", key: ["id"], where: "attempted_at <= \(bind: windowStart)", limit: limit)
    }
}

/// One user's writes counted together: the requests of a user that arrive while their count is in flight
/// share the next statement, which adds them all to the row at once (`writes + n`), and each request gets
/// its own place among them (`writes - n + 1` to `writes`), exactly as `n` statements one after the other
/// would have given. So a user's writes at the same instant cost one row update and one commit instead of
/// queuing on the row one by one, and the count stays exact, across replicas too.
final class WriteCounts: Sendable {
    struct Write: Sendable {
        let windowStart: Date
        let session: SQLSession
    }

    let queue: BatchQueue<Int, Write, Int>

    init(maxBatch: Int) {
        queue = BatchQueue(maxBatch: maxBatch) { userID, writes in await SQLWriteCountStore.count(userID: userID, writes) }
    }
}

struct SQLWriteCountStore: WriteCountStore {
    let session: SQLSession
    /// On the pool, a user's counts are shared (``WriteCounts``); nil in a transaction.
    var shared: WriteCounts? = nil

    func count(userID: Int, windowStart: Date) async throws -> Int {
        let write = WriteCounts.Write(windowStart: windowStart, session: session)
        if let shared { return try await shared.queue.submit(write, for: userID) }
        return try await Self.count(userID: userID, [write])[0].get()
    }

    /// The counts of `writes` of one user, in order: one statement per minute's window among them (a batch
    /// spans two only at the turn of a minute), each adding its writes at once.
    static func count(userID: Int, _ writes: [WriteCounts.Write]) async -> [Result<Int, any Error>] {
        guard let session = writes.first?.session else { return [] }
        var counts: [Date: (first: Int, added: Int)] = [:]
        do {
            var windows: [Date] = []
            for write in writes where !windows.contains(write.windowStart) { windows.append(write.windowStart) }
            for windowStart in windows {
                let added = writes.count(where: { $0.windowStart == windowStart })
                let total = try await session.write { sql in
                    // One statement: concurrent writers of one user queue on the row, and each batch gets its own range.
                    let row = try await sql.raw("""
                        INSERT INTO write_counts (user_id, window_start, writes) VALUES (\(bind: userID), \(bind: windowStart), \(bind: added))
                        ON CONFLICT (user_id, window_start) DO UPDATE SET writes = write_counts.writes + \(bind: added)
                        RETURNING writes
                        """).first()
                    guard let total = try row?.decode(column: "writes", as: Int.self) else {
                        throw DatabaseInvariantViolation("an upsert of write_counts returned no row")
                    }
                    return total
                }
                counts[windowStart] = (total - added + 1, added)
            }
        } catch {
            return writes.map { _ in .failure(error) }
        }
        return writes.map { write in
            let next = counts[write.windowStart]!
            counts[write.windowStart] = (next.first + 1, next.added)
            return .success(next.first)
        }
    }

    func deleteOlder(than before: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "write_counts", key: ["user_id", "window_start"], where: "window_start < \(bind: before)", limit: limit)
    }
}
