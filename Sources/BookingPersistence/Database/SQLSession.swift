import AsyncPrimitives
import SQLKit

/// Where the stores' statements run: on the pool, each statement on its own, or on the one connection of
/// a transaction.
///
/// SQLite allows one writer at a time and SQLiteNIO waits for its lock by spinning on a thread-pool
/// thread. So on SQLite this process queues its writers on an async gate (a one-permit
/// ``AsyncSemaphore``) instead: a write never waits on the file lock, no thread is tied up waiting, and
/// "database is locked" cannot happen. A transaction holds the gate from BEGIN to COMMIT, so the
/// statements inside it do not take it again. On PostgreSQL there is no gate: row locks and conditional
/// statements do the work, across any number of processes.
struct SQLSession: Sendable {
    enum Dialect: Sendable { case sqlite, postgres }

    let sql: any SQLDatabase
    let dialect: Dialect
    /// Taken by every write outside a transaction on SQLite; nil on PostgreSQL and inside a transaction.
    let writeGate: AsyncSemaphore?

    /// Runs statements that change data. Every write goes through here: the SQLite gate depends on it.
    func write<T: Sendable>(_ work: (any SQLDatabase) async throws -> T) async throws -> T {
        guard let writeGate else { return try await work(sql) }
        return try await writeGate.withPermit { try await work(sql) }
    }

    /// Deletes up to `limit` rows of `table` that match `condition`, choosing them by their `key` columns;
    /// returns how many. Housekeeping purges in such batches, so no purge holds its locks for long.
    func deleteBatch(from table: String, key: [String], where condition: SQLQueryString, limit: Int) async throws -> Int {
        let columns = SQLList(key.map { SQLIdentifier($0) })
        return try await write { sql in
            try await sql.raw("""
                DELETE FROM \(ident: table) WHERE (\(columns)) IN (
                    SELECT \(columns) FROM \(ident: table) WHERE \(condition) LIMIT \(bind: limit))
                RETURNING 1
                """).all().count
        }
    }

    /// Runs an `INSERT` of one row and returns the new row's `id`.
    func insertReturningID(_ insert: SQLQueryString) async throws -> Int {
        let row = try await write { sql in try await sql.raw("\(insert) RETURNING id").first() }
        guard let row else { throw DatabaseInvariantViolation("an INSERT returned no row") }
        return try row.decode(column: "id", as: Int.self)
    }

    /// Runs an `INSERT` of the rows `values` (each a parenthesized tuple) and returns their new `id`s in
    /// the order of `values`: ids are given in insertion order, which is the order of the `VALUES` list,
    /// whatever order `RETURNING` answers in.
    func insertReturningIDs(_ insert: SQLQueryString, values: [SQLQueryString]) async throws -> [Int] {
        guard !values.isEmpty else { return [] }
        let rows = try await write { sql in
            try await sql.raw("\(insert) VALUES \(values.joined(separator: ", ")) RETURNING id").all()
        }
        guard rows.count == values.count else { throw DatabaseInvariantViolation("an INSERT of \(values.count) rows returned \(rows.count)") }
        return try rows.map { try $0.decode(column: "id", as: Int.self) }.sorted()
    }

    /// Runs `statements` (none may read what another writes) and returns the rows of the last: on
    /// PostgreSQL as one statement, the others its data-modifying `WITH` queries (one round trip; they all
    /// see the same snapshot, which is why none may read another's writes), on SQLite one by one.
    func runTogether(_ statements: [SQLQueryString]) async throws -> [any SQLRow] {
        guard let last = statements.last else { return [] }
        return try await write { sql in
            guard dialect == .postgres else {
                for statement in statements.dropLast() { try await sql.raw(statement).run() }
                return try await sql.raw(last).all()
            }
            let others = statements.dropLast().enumerated().map { index, statement -> SQLQueryString in "w\(unsafeRaw: String(index)) AS (\(statement))" }
            return try await sql.raw(others.isEmpty ? last : "WITH \(others.joined(separator: ", "))\n\(last)").all()
        }
    }

    /// ` FOR UPDATE` on PostgreSQL, to lock the rows a transaction reads; nothing on SQLite, where
    /// `BEGIN IMMEDIATE` already holds the database's write lock.
    var lockRows: SQLQueryString {
        dialect == .sqlite ? "" : " FOR UPDATE"
    }

    /// ` FOR UPDATE SKIP LOCKED` on PostgreSQL, for a claim that passes over rows another server is
    /// claiming; nothing on SQLite, which runs one writer at a time.
    var skipLocked: SQLQueryString {
        dialect == .sqlite ? "" : " FOR UPDATE SKIP LOCKED"
    }
}
