import FluentKit
import SQLKit

/// Capacity in time: a resource's schedule (null for a pool), the periods each booking and hold takes
/// (`period_kind`, and the bounds of the periods' keys, `period_from` up to `period_to`; with the range
/// as the client sees it, `period_start` and `period_end`), and the stock of each period of a dated
/// resource (`period_stock`), and the dates with a capacity of their own (`resource_calendar`: every
/// period of that local date has that total; 0 closes it).
///
/// A period's row is created by the first change to it, under its resource's lock (an absent row is a
/// period with nothing taken: its capacity, all available); a read never creates one. The same CHECK
/// constraints as a resource's own stock hold for every period at every commit.
struct AddPeriods: TableMigration {
    let table = "period_stock"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS period_stock (
                resource_id BIGINT NOT NULL,
                kind INTEGER NOT NULL,
                idx BIGINT NOT NULL,
                total_quantity INTEGER NOT NULL,
                available_quantity INTEGER NOT NULL,
                held_quantity INTEGER NOT NULL,
                PRIMARY KEY (resource_id, kind, idx),
                CONSTRAINT period_stock_available_nonnegative CHECK (available_quantity >= 0),
                CONSTRAINT period_stock_held_nonnegative CHECK (held_quantity >= 0),
                CONSTRAINT period_stock_within_total CHECK (available_quantity + held_quantity <= total_quantity)
            )
            """).run()
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS resource_calendar (
                resource_id BIGINT NOT NULL,
                day BIGINT NOT NULL,
                total_quantity INTEGER NOT NULL CHECK (total_quantity >= 0),
                PRIMARY KEY (resource_id, day)
            )
            """).run()
        try await sql.raw("ALTER TABLE resources ADD COLUMN schedule TEXT").run()
        // The kind of a dated resource's periods (null for a pool), for searches across resources.
        try await sql.raw("ALTER TABLE resources ADD COLUMN period_kind INTEGER").run()
        for table in ["bookings", "holds", "waitlist_entries"] {
            try await sql.raw("ALTER TABLE \(ident: table) ADD COLUMN period_kind INTEGER").run()
            try await sql.raw("ALTER TABLE \(ident: table) ADD COLUMN period_from BIGINT").run()
            try await sql.raw("ALTER TABLE \(ident: table) ADD COLUMN period_to BIGINT").run()
            try await sql.raw("ALTER TABLE \(ident: table) ADD COLUMN period_start TEXT").run()
            try await sql.raw("ALTER TABLE \(ident: table) ADD COLUMN period_end TEXT").run()
        }
        // A user's units in a dated resource's periods are counted from their records overlapping a range.
        try await sql.raw("""
            CREATE INDEX IF NOT EXISTS bookings_periods ON bookings (resource_id, period_from) WHERE period_from IS NOT NULL AND status = 'active'
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX IF EXISTS bookings_periods").run()
        for table in ["bookings", "holds", "waitlist_entries"] {
            for column in ["period_kind", "period_from", "period_to", "period_start", "period_end"] {
                try await sql.raw("ALTER TABLE \(ident: table) DROP COLUMN \(ident: column)").run()
            }
        }
        try await sql.raw("ALTER TABLE resources DROP COLUMN period_kind").run()
        try await sql.raw("ALTER TABLE resources DROP COLUMN schedule").run()
        try await sql.raw("DROP TABLE IF EXISTS resource_calendar").run()
        try await sql.raw("DROP TABLE IF EXISTS period_stock").run()
    }
}
