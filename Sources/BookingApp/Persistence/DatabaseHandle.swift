import Fluent
import SQLKit

/// The domain's handle on the database: single statements on any pooled connection, or a write
/// transaction pinned to one connection.
public struct DatabaseHandle: Sendable {
    let database: any Database

    public init(_ database: any Database) {
        self.database = database
    }

    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Runs `work` in a transaction that takes the write lock up front.
    ///
    /// On SQLite `BEGIN IMMEDIATE` queues writers behind the lock instead of failing a deferred transaction
    /// that read first and then wrote ("database is locked"). On PostgreSQL it is a plain `BEGIN`: each
    /// statement then locks only the rows it changes.
    func writeTransaction<T: Sendable>(_ work: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await database.withConnection { connection in
            let sql = connection as! any SQLDatabase
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
