import FluentKit
import SQLKit

/// Bookings, holds and waiting-list joins per user per minute (`WriteLimit`): one row per user and window,
/// bumped by one atomic upsert per request, so the count is exact however many servers write at once.
///
/// And which waiting-list entries each booking and hold passed (`passed_through`: the last entry waiting
/// when it was taken; every entry up to it but its taker's own was passed), so that the units count
/// against those entries only while they stay taken: a cancelled booking, or a released, lapsed or
/// declined hold or offer, gives its passes back (the waiting list's bound, README).
struct AddWriteCountsAndPasses: TableMigration {
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
        try await sql.raw("ALTER TABLE bookings ADD COLUMN passed_through BIGINT").run()
        try await sql.raw("ALTER TABLE holds ADD COLUMN passed_through BIGINT").run()
        // Housekeeping deletes old windows by their start.
        try await sql.raw("CREATE INDEX IF NOT EXISTS write_counts_window_start ON write_counts (window_start)").run()
        // Ended holds are purged after EVENT_RETENTION: by their end.
        try await sql.raw("CREATE INDEX IF NOT EXISTS holds_ended_at ON holds (ended_at) WHERE status IN ('released', 'expired')").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX IF EXISTS holds_ended_at").run()
        try await sql.raw("ALTER TABLE holds DROP COLUMN passed_through").run()
        try await sql.raw("ALTER TABLE bookings DROP COLUMN passed_through").run()
        try await sql.raw("DROP TABLE IF EXISTS write_counts").run()
    }
}
