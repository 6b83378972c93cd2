import FluentKit
import SQLKit

/// The event log and webhooks (`EventStore`, `WebhookStore`).
///
/// `events.seq` is the order events were written; `events.id` their place in the feed, given after they
/// commit by one numbering at a time (`event_feed` holds the last id given, and its row lock serializes
/// the numbering on every server), so ids grow in the order events become visible. Until then `id` is
/// NULL and the event is nowhere in the feed.
///
/// `webhook_endpoints.last_event_id` (the cursor) is the last event id an endpoint has received; `lease_token` and
/// `lease_until` say which relay is sending to it and until when.
struct AddEvents: BookingMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase, types = SchemaDialect(sql)
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS events (
                seq \(unsafeRaw: types.identity),
                id BIGINT,
                type TEXT NOT NULL,
                occurred_at \(unsafeRaw: types.timestamp) NOT NULL,
                actor_id BIGINT,
                resource_id BIGINT,
                resource_name TEXT,
                booking_id BIGINT,
                hold_id BIGINT,
                waitlist_entry_id BIGINT,
                user_id BIGINT,
                quantity BIGINT,
                total BIGINT,
                available BIGINT,
                held BIGINT,
                details TEXT NOT NULL DEFAULT '{}'
            )
            """).run()
        // Every booking writes an event, and numbering rewrites it: the indexes are what that costs. An
        // event is written with two index entries (its key, and the numbering's queue); the feed's
        // indexes take it only once it is numbered. Purging goes by id (ids follow time closely enough),
        // so occurred_at needs none.
        try await sql.raw("CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id) WHERE id IS NOT NULL").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS events_unsequenced ON events (seq) WHERE id IS NULL").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS events_resource_id ON events (resource_id, id) WHERE id IS NOT NULL").run()
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS event_feed (
                only_row BIGINT PRIMARY KEY,
                last_id BIGINT NOT NULL,
                CONSTRAINT event_feed_one_row CHECK (only_row = 1)
            )
            """).run()
        try await sql.raw("INSERT INTO event_feed (only_row, last_id) VALUES (1, 0) ON CONFLICT DO NOTHING").run()
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS webhook_endpoints (
                id \(unsafeRaw: types.identity),
                url TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                event_types TEXT NOT NULL,
                secret TEXT NOT NULL,
                enabled BOOLEAN NOT NULL DEFAULT TRUE,
                disabled_reason TEXT,
                consecutive_failures BIGINT NOT NULL DEFAULT 0,
                last_event_id BIGINT NOT NULL DEFAULT 0,
                next_attempt_at \(unsafeRaw: types.timestamp),
                lease_token TEXT,
                lease_until \(unsafeRaw: types.timestamp),
                created_at \(unsafeRaw: types.timestamp) NOT NULL,
                updated_at \(unsafeRaw: types.timestamp) NOT NULL
            )
            """).run()
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS webhook_deliveries (
                id \(unsafeRaw: types.identity),
                endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
                event_id BIGINT,
                event_type TEXT NOT NULL,
                message_id TEXT NOT NULL,
                cause TEXT NOT NULL,
                attempted_at \(unsafeRaw: types.timestamp) NOT NULL,
                status_code BIGINT,
                duration_ms BIGINT NOT NULL,
                error TEXT,
                succeeded BOOLEAN NOT NULL
            )
            """).run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint_id ON webhook_deliveries (endpoint_id, id)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS webhook_deliveries_attempted_at ON webhook_deliveries (attempted_at)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["webhook_deliveries", "webhook_endpoints", "event_feed", "events"] {
            try await sql.raw("DROP TABLE IF EXISTS \(ident: table)").run()
        }
    }
}
