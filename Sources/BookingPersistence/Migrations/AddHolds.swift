import FluentKit
import SQLKit

/// Holds, and per-user limits on resources (`Inventory`).
///
/// Resources gain `held_quantity` (units of holds still stored as held, expired or not) under a CHECK
/// that keeps `available + held <= total`, so no statement can commit more units out than exist; and the
/// optional limits `max_per_user` and `max_per_booking`. A confirmed hold's booking points back at it
/// (`bookings.hold_id`, unique: one booking per hold); an Idempotency-Key can name a hold.
struct AddHolds: BookingMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase, types = SchemaDialect(sql)
        let heldInRange = "CHECK (held_quantity >= 0 AND available_quantity + held_quantity <= total_quantity)"
        if sql.isSQLite {
            // SQLite cannot add a table constraint; a column's CHECK may name other columns all the same.
            try await sql.raw("""
                ALTER TABLE resources ADD COLUMN held_quantity BIGINT NOT NULL DEFAULT 0 CONSTRAINT resources_held_in_range \(unsafeRaw: heldInRange)
                """).run()
            try await sql.raw("""
                ALTER TABLE resources ADD COLUMN max_per_user BIGINT CONSTRAINT resources_max_per_user_positive CHECK (max_per_user > 0)
                """).run()
            try await sql.raw("""
                ALTER TABLE resources ADD COLUMN max_per_booking BIGINT CONSTRAINT resources_max_per_booking_positive CHECK (max_per_booking > 0)
                """).run()
        } else {
            try await sql.raw("ALTER TABLE resources ADD COLUMN held_quantity BIGINT NOT NULL DEFAULT 0").run()
            try await sql.raw("ALTER TABLE resources ADD COLUMN max_per_user BIGINT").run()
            try await sql.raw("ALTER TABLE resources ADD COLUMN max_per_booking BIGINT").run()
            try await sql.raw("ALTER TABLE resources ADD CONSTRAINT resources_held_in_range \(unsafeRaw: heldInRange)").run()
            try await sql.raw("ALTER TABLE resources ADD CONSTRAINT resources_max_per_user_positive CHECK (max_per_user > 0)").run()
            try await sql.raw("ALTER TABLE resources ADD CONSTRAINT resources_max_per_booking_positive CHECK (max_per_booking > 0)").run()
        }
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS holds (
                id \(unsafeRaw: types.identity),
                resource_id BIGINT NOT NULL REFERENCES resources (id),
                user_id BIGINT NOT NULL REFERENCES users (id),
                quantity BIGINT NOT NULL,
                status TEXT NOT NULL DEFAULT 'held',
                created_at \(unsafeRaw: types.timestamp) NOT NULL,
                expires_at \(unsafeRaw: types.timestamp) NOT NULL,
                ended_at \(unsafeRaw: types.timestamp),
                CONSTRAINT holds_quantity_positive CHECK (quantity > 0),
                CONSTRAINT holds_status_known CHECK (status IN ('held', 'confirmed', 'released', 'expired'))
            )
            """).run()
        // A user's own listing; a resource's holds by status (limits, deleting); and the holds that have
        // lapsed but are still stored as held (every stock read, and the expiry job), kept small by the job.
        try await sql.raw("CREATE INDEX IF NOT EXISTS holds_user_id_id ON holds (user_id, id)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS holds_resource_id_status ON holds (resource_id, status)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS holds_held_expires_at ON holds (expires_at) WHERE status = 'held'").run()
        try await sql.raw("ALTER TABLE bookings ADD COLUMN hold_id BIGINT REFERENCES holds (id)").run()
        // Partial: a direct booking (no hold) costs no entry, so the hot path's INSERT maintains no more indexes.
        try await sql.raw("CREATE UNIQUE INDEX IF NOT EXISTS bookings_hold_id ON bookings (hold_id) WHERE hold_id IS NOT NULL").run()
        try await sql.raw("ALTER TABLE idempotency_keys ADD COLUMN hold_id BIGINT REFERENCES holds (id) ON DELETE CASCADE").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE idempotency_keys DROP COLUMN hold_id").run()
        try await sql.raw("DROP INDEX IF EXISTS bookings_hold_id").run()
        try await sql.raw("ALTER TABLE bookings DROP COLUMN hold_id").run()
        try await sql.raw("DROP TABLE IF EXISTS holds").run()
        if !sql.isSQLite {
            try await sql.raw("ALTER TABLE resources DROP CONSTRAINT resources_held_in_range").run()
        }
        for column in ["max_per_booking", "max_per_user", "held_quantity"] {
            try await sql.raw("ALTER TABLE resources DROP COLUMN \(ident: column)").run()
        }
    }
}
