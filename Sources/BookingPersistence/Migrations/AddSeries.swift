import FluentKit
import SQLKit

/// Recurring bookings and calendar feeds.
///
/// `booking_series` keeps what a series was asked for (its rule, first occurrence and how it meets a
/// conflict) and the occurrences it skipped when made (`skipped`, JSON: each one's `start`, `end` and
/// period key `from`, for ordering); its booked occurrences are ordinary bookings pointing at it
/// (`bookings.series_id`), made in the series' transaction. An Idempotency-Key may complete with a series
/// (`idempotency_keys.series_id`).
///
/// `calendar_feeds` holds each user's one feed token, as its SHA-256 (the token itself is shown once);
/// a new one replaces it.
struct AddSeries: BookingMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase, types = SchemaDialect(sql)
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS booking_series (
                id \(unsafeRaw: types.identity),
                resource_id BIGINT NOT NULL REFERENCES resources (id),
                user_id BIGINT NOT NULL REFERENCES users (id),
                purchase_quantity BIGINT NOT NULL,
                rrule TEXT NOT NULL,
                on_conflict TEXT NOT NULL,
                first_start TEXT NOT NULL,
                first_end TEXT NOT NULL,
                skipped TEXT NOT NULL DEFAULT '[]',
                created_at \(unsafeRaw: types.timestamp) NOT NULL,
                CONSTRAINT booking_series_quantity_positive CHECK (purchase_quantity > 0),
                CONSTRAINT booking_series_on_conflict_known CHECK (on_conflict IN ('fail', 'skip'))
            )
            """).run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS booking_series_user_id_id ON booking_series (user_id, id)").run()
        try await sql.raw("ALTER TABLE bookings ADD COLUMN series_id BIGINT REFERENCES booking_series (id)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS bookings_series ON bookings (series_id, period_from) WHERE series_id IS NOT NULL").run()
        try await sql.raw("ALTER TABLE idempotency_keys ADD COLUMN series_id BIGINT REFERENCES booking_series (id) ON DELETE CASCADE").run()
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS calendar_feeds (
                user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
                token_hash TEXT NOT NULL UNIQUE,
                created_at \(unsafeRaw: types.timestamp) NOT NULL
            )
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP TABLE IF EXISTS calendar_feeds").run()
        try await sql.raw("ALTER TABLE idempotency_keys DROP COLUMN series_id").run()
        try await sql.raw("DROP INDEX IF EXISTS bookings_series").run()
        try await sql.raw("ALTER TABLE bookings DROP COLUMN series_id").run()
        try await sql.raw("DROP TABLE IF EXISTS booking_series").run()
    }
}
