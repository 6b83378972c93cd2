import FluentKit
import SQLKit

/// Waiting lists (`Inventory`).
///
/// `waitlist_entries` keeps each user's place in a resource's list; its id is the order of the line (an
/// entry is inserted under the resource's row lock, so ids on one resource are committed in order). At
/// most one open entry (waiting or offered) per user and resource, enforced by a partial unique index.
/// `passed_units` counts the units offered to entries behind it while it waited (`WaitlistServing`).
/// An offer is a hold that points at its entry (`holds.waitlist_entry_id`, unique: one offer per entry).
/// Resources count their waiting entries (`waiting_count`, kept under the row lock), so the hot path can
/// see in the row it updates that no list is waiting.
struct AddWaitlist: BookingMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase, types = SchemaDialect(sql)
        if sql.isSQLite {
            try await sql.raw("""
                ALTER TABLE resources ADD COLUMN waiting_count BIGINT NOT NULL DEFAULT 0
                    CONSTRAINT resources_waiting_count_nonnegative CHECK (waiting_count >= 0)
                """).run()
        } else {
            try await sql.raw("ALTER TABLE resources ADD COLUMN waiting_count BIGINT NOT NULL DEFAULT 0").run()
            try await sql.raw("ALTER TABLE resources ADD CONSTRAINT resources_waiting_count_nonnegative CHECK (waiting_count >= 0)").run()
        }
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS waitlist_entries (
                id \(unsafeRaw: types.identity),
                resource_id BIGINT NOT NULL REFERENCES resources (id),
                user_id BIGINT NOT NULL REFERENCES users (id),
                quantity BIGINT NOT NULL,
                status TEXT NOT NULL DEFAULT 'waiting',
                passed_units BIGINT NOT NULL DEFAULT 0,
                created_at \(unsafeRaw: types.timestamp) NOT NULL,
                offered_at \(unsafeRaw: types.timestamp),
                ended_at \(unsafeRaw: types.timestamp),
                removed_reason TEXT,
                removed_by BIGINT REFERENCES users (id),
                CONSTRAINT waitlist_entries_quantity_positive CHECK (quantity > 0),
                CONSTRAINT waitlist_entries_passed_nonnegative CHECK (passed_units >= 0),
                CONSTRAINT waitlist_entries_status_known
                    CHECK (status IN ('waiting', 'offered', 'accepted', 'declined', 'expired', 'left', 'removed'))
            )
            """).run()
        try await sql.raw("""
            CREATE UNIQUE INDEX IF NOT EXISTS waitlist_entries_one_open ON waitlist_entries (resource_id, user_id)
            WHERE status IN ('waiting', 'offered')
            """).run()
        // The line as it is served (and positions); a resource's list; a user's own listing.
        try await sql.raw("CREATE INDEX IF NOT EXISTS waitlist_entries_waiting ON waitlist_entries (resource_id, id) WHERE status = 'waiting'").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS waitlist_entries_resource_id_id ON waitlist_entries (resource_id, id)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS waitlist_entries_user_id_id ON waitlist_entries (user_id, id)").run()
        try await sql.raw("ALTER TABLE holds ADD COLUMN waitlist_entry_id BIGINT REFERENCES waitlist_entries (id)").run()
        try await sql.raw("""
            CREATE UNIQUE INDEX IF NOT EXISTS holds_waitlist_entry_id ON holds (waitlist_entry_id) WHERE waitlist_entry_id IS NOT NULL
            """).run()
        // Offers still stored as held, by expiry: what a read passes on first, when they have lapsed.
        try await sql.raw("""
            CREATE INDEX IF NOT EXISTS holds_offer_expires_at ON holds (expires_at) WHERE status = 'held' AND waitlist_entry_id IS NOT NULL
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX IF EXISTS holds_offer_expires_at").run()
        try await sql.raw("DROP INDEX IF EXISTS holds_waitlist_entry_id").run()
        try await sql.raw("ALTER TABLE holds DROP COLUMN waitlist_entry_id").run()
        try await sql.raw("DROP TABLE IF EXISTS waitlist_entries").run()
        if !sql.isSQLite {
            try await sql.raw("ALTER TABLE resources DROP CONSTRAINT resources_waiting_count_nonnegative").run()
        }
        try await sql.raw("ALTER TABLE resources DROP COLUMN waiting_count").run()
    }
}
