import FluentKit
import SQLKit

/// Browser sessions: a token is an API token (`api`, every token until now) or a browser's session cookie
/// (`web`); each is accepted only where it belongs. Both expire, and are revoked, alike.
struct AddTokenKind: BookingMigration {
    func prepare(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("""
            ALTER TABLE access_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'api' CONSTRAINT access_tokens_kind_known CHECK (kind IN ('api', 'web'))
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if !sql.isSQLite { try await sql.raw("ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_kind_known").run() }
        try await sql.raw("ALTER TABLE access_tokens DROP COLUMN kind").run()
    }
}
