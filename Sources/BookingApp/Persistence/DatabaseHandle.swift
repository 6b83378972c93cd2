import CoreMetrics
import Fluent
import SQLKit

/// The domain's handle on the database. Reads go straight to the pool; every write goes through
/// ``write(_:)`` or ``transaction(_:)``.
///
/// SQLite allows one writer at a time and SQLiteNIO waits for its lock by spinning on a thread-pool thread.
/// So on SQLite this process queues its writers on an async gate (a one-permit ``AsyncSemaphore``) instead: a write never waits on
/// the file lock, no thread is tied up waiting, and "database is locked" cannot happen. On PostgreSQL there
/// is no gate: row locks and conditional statements do the work, across any number of processes.
public struct DatabaseHandle: Sendable {
    let database: any Database
    let writeGate: AsyncSemaphore?
    /// Counts the statements and transactions holding a pooled connection or queued for one.
    let poolInUse: Meter

    public init(_ database: any Database, writeGate: AsyncSemaphore?, poolInUse: Meter) {
        self.database = database
        self.writeGate = writeGate
        self.poolInUse = poolInUse
    }

    /// For reads.
    var sql: any SQLDatabase { PoolCountingSQLDatabase(base: database as! any SQLDatabase, inUse: poolInUse) }

    /// Whether the database answers and every migration has been applied (the readiness probe).
    public func schemaIsReady() async throws -> Bool {
        try await BookingSchema.isReady(sql)
    }

    /// Runs statements that change data, each atomic on its own.
    func write<T: Sendable>(_ work: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await gated { try await work(sql) }
    }

    /// Runs `work` in one transaction on one connection; it commits only if `work` returns.
    func transaction<T: Sendable>(_ work: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await gated {
            poolInUse.increment()
            defer { poolInUse.decrement() }
            return try await database.withConnection { connection in
                let sql = connection as! any SQLDatabase
                // IMMEDIATE takes SQLite's write lock up front, so a transaction never fails half-way to upgrade it.
                try await sql.raw(sql.isSQLite ? "BEGIN IMMEDIATE" : "BEGIN").run()
                do {
                    let result = try await work(sql)
                    try await sql.raw("COMMIT").run()
                    return result
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            }
        }
    }

    private func gated<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        guard let writeGate else { return try await work() }
        return try await writeGate.withPermit(work)
    }
}
