import FluentKit
import SQLKit

/// Bookings, holds and waiting-list joins per user per minute (`WriteLimit`): one row per user and window,
/// bumped by one atomic upsert per request, so the count is exact however many servers write at once.
struct AddWriteCounts: TableMigration {
    let table = "write_counts"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS write_counts (
                user_id BIGINT NOT NULL,
                window_start \(unsafeRaw: types.timestamp) NOT NULL,
                writes BIGINT NOT NULL,
                PRIMARY KEY (user_id, window_start)
            )
            """).run()
        // Housekeeping deletes old windows by their start.
        try await sql.raw("CREATE INDEX IF NOT EXISTS write_counts_window_start ON write_counts (window_start)").run()
        // Ended holds are purged after EVENT_RETENTION: by their end.
        try await sql.raw("CREATE INDEX IF NOT EXISTS holds_ended_at ON holds (ended_at) WHERE status IN ('released', 'expired')").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX IF EXISTS holds_ended_at").run()
        try await sql.raw("DROP TABLE IF EXISTS write_counts").run()
    }
}
