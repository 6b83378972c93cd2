import FluentKit
import SQLKit

/// Lets housekeeping find expired tokens of every user without reading the whole table.
struct AddAccessTokenExpiryIndex: BookingMigration {
    func prepare(on database: any Database) async throws {
        try await (database as! any SQLDatabase)
            .raw("CREATE INDEX IF NOT EXISTS access_tokens_expires_at ON access_tokens (expires_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX IF EXISTS access_tokens_expires_at").run()
    }
}
