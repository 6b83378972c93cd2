import FluentKit
import SQLKit

/// Lets an admin deactivate an account without deleting its history.
struct AddUserIsActive: BookingMigration {
    func prepare(on database: any Database) async throws {
        try await (database as! any SQLDatabase)
            .raw("ALTER TABLE users ADD COLUMN is_active BOOLEAN NOT NULL DEFAULT TRUE").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("ALTER TABLE users DROP COLUMN is_active").run()
    }
}
