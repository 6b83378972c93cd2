import FluentPostgresDriver
import Logging

/// Serialises start-up migrations across server processes sharing one PostgreSQL.
///
/// Replicas that start together would otherwise race to create the same tables. The lock is a
/// transaction-level advisory lock, held by an open transaction on a connection of its own while the
/// migrations run on pooled connections. A transaction (unlike a session) keeps its server connection
/// behind PgBouncer in transaction mode too, and ending it, or losing the connection, releases the lock
/// even if this process dies mid-way. Waiters poll with `pg_try_advisory_xact_lock` rather than block,
/// so they never hold server connections that the migrating replica needs.
public enum MigrationLock {
    /// An arbitrary constant that identifies "booking schema migrations" among advisory locks.
    static let key = 7_342_001
    static let retryInterval: Duration = .milliseconds(200)

    public static func withLock<T>(postgresURL: String, logger: Logger, _ work: () async throws -> T) async throws -> T {
        let configuration = try SQLPostgresConfiguration(url: postgresURL).coreConfiguration
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            var waiting = false
            while try await !tryLock(connection, logger: logger) {
                if !waiting {
                    logger.info("Waiting for another server to finish migrating the database")
                    waiting = true
                }
                try await Task.sleep(for: retryInterval)
            }
            let result = try await work()
            try await connection.query("COMMIT", logger: logger)
            try await connection.close()
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            try? await connection.close()
            throw error
        }
    }

    /// Opens a transaction and takes the lock in it; when another server holds it, ends the transaction
    /// and answers false.
    private static func tryLock(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("BEGIN", logger: logger)
        let rows = try await connection.query("SELECT pg_try_advisory_xact_lock(\(key))", logger: logger).collect()
        if try rows.first?.decode(Bool.self) == true { return true }
        try await connection.query("ROLLBACK", logger: logger)
        return false
    }
}
