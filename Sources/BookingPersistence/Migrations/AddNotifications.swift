import FluentKit
import SQLKit

/// The e-mail outbox (`NotificationStore`): `notifications`, one row per message (its Message-ID unique,
/// so planning an event twice queues nothing twice), and `mail_state`, the one row holding the cursor of
/// the events planned for and the planning lease; `users.mail_off`, the kinds of e-mail a user turned off
/// (comma-separated). Each message carries its own unsubscribe token: it turns off that message's kind
/// for that message's user, and nothing else.
struct AddNotifications: BookingMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase, types = SchemaDialect(sql)
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS notifications (
                id \(unsafeRaw: types.identity),
                event_id BIGINT NOT NULL,
                kind TEXT NOT NULL,
                template TEXT NOT NULL,
                user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                recipient_name TEXT NOT NULL,
                recipient_email TEXT NOT NULL,
                message_id TEXT NOT NULL UNIQUE,
                unsubscribe_token TEXT NOT NULL UNIQUE,
                facts TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'queued',
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                next_attempt_at \(unsafeRaw: types.timestamp) NOT NULL,
                lease_token TEXT,
                lease_until \(unsafeRaw: types.timestamp),
                created_at \(unsafeRaw: types.timestamp) NOT NULL,
                sent_at \(unsafeRaw: types.timestamp),
                CONSTRAINT notifications_status_known CHECK (status IN ('queued', 'sent', 'failed'))
            )
            """).run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_at) WHERE status = 'queued'").run()
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS mail_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                last_event_id BIGINT,
                lease_token TEXT,
                lease_until \(unsafeRaw: types.timestamp)
            )
            """).run()
        try await sql.raw("INSERT INTO mail_state (id) VALUES (1) ON CONFLICT DO NOTHING").run()
        try await sql.raw("ALTER TABLE users ADD COLUMN mail_off TEXT NOT NULL DEFAULT ''").run()
        // Reminders: when a hold's or a booking's reminder was written (once), and a dated booking's first instant.
        try await sql.raw("ALTER TABLE holds ADD COLUMN reminded_at \(unsafeRaw: types.timestamp)").run()
        try await sql.raw("ALTER TABLE bookings ADD COLUMN reminded_at \(unsafeRaw: types.timestamp)").run()
        try await sql.raw("ALTER TABLE bookings ADD COLUMN starts_at \(unsafeRaw: types.timestamp)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS holds_to_remind ON holds (expires_at) WHERE status = 'held' AND reminded_at IS NULL").run()
        try await sql.raw("""
            CREATE INDEX IF NOT EXISTS bookings_to_remind ON bookings (starts_at) WHERE status = 'active' AND reminded_at IS NULL AND starts_at IS NOT NULL
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX IF EXISTS bookings_to_remind").run()
        try await sql.raw("DROP INDEX IF EXISTS holds_to_remind").run()
        try await sql.raw("ALTER TABLE bookings DROP COLUMN starts_at").run()
        try await sql.raw("ALTER TABLE bookings DROP COLUMN reminded_at").run()
        try await sql.raw("ALTER TABLE holds DROP COLUMN reminded_at").run()
        try await sql.raw("ALTER TABLE users DROP COLUMN mail_off").run()
        try await sql.raw("DROP TABLE IF EXISTS mail_state").run()
        try await sql.raw("DROP TABLE IF EXISTS notifications").run()
    }
}
