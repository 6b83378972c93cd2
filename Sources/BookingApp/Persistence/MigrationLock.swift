import FluentPostgresDriver
import Logging

/// Serialises start-up migrations across server processes sharing one PostgreSQL.
///
/// Replicas that start together would otherwise race to create the same tables. The lock is a session
/// advisory lock on a connection of its own, outside the pool, so the migrations themselves can use any
/// pooled connection; closing the connection releases it even if this process dies mid-way.
enum MigrationLock {
    /// An arbitrary constant that identifies "booking schema migrations" among advisory locks.
    static let key = 7_342_001

    static func withLock<T>(postgresURL: String, logger: Logger, _ work: () async throws -> T) async throws -> T {
        let configuration = try SQLPostgresConfiguration(url: postgresURL).coreConfiguration
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_lock(\(key))", logger: logger)
            let result = try await work()
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
