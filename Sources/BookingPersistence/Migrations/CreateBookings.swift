import SQLKit

struct CreateBookings: TableMigration {
    let table = "bookings"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS bookings (
                id \(unsafeRaw: types.identity),
                resource_id BIGINT NOT NULL REFERENCES resources (id),
                user_id BIGINT NOT NULL REFERENCES users (id),
                purchase_quantity BIGINT NOT NULL,
                status TEXT NOT NULL DEFAULT 'active',
                booking_date \(unsafeRaw: types.timestamp) NOT NULL,
                cancelled_at \(unsafeRaw: types.timestamp),
                CONSTRAINT bookings_quantity_positive CHECK (purchase_quantity > 0),
                CONSTRAINT bookings_status_known CHECK (status IN ('active', 'cancelled'))
            )
            """).run()
        // A user's own listing, newest first; and the per-resource lookups (active count, listing by resource).
        try await sql.raw("CREATE INDEX IF NOT EXISTS bookings_user_id_id ON bookings (user_id, id)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS bookings_resource_id_status ON bookings (resource_id, status)").run()
    }
}
