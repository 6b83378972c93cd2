import SQLKit

struct CreateIdempotencyKeys: TableMigration {
    let table = "idempotency_keys"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
        // booking_id is NULL while the request that claimed the key is still working (its lease is
        // claim_token + locked_at), and set in the same transaction that creates the booking.
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS idempotency_keys (
                user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                idempotency_key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                claim_token TEXT NOT NULL,
                booking_id BIGINT REFERENCES bookings (id) ON DELETE CASCADE,
                locked_at \(unsafeRaw: types.timestamp) NOT NULL,
                created_at \(unsafeRaw: types.timestamp) NOT NULL,
                PRIMARY KEY (user_id, idempotency_key)
            )
            """).run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at)").run()
    }
}
