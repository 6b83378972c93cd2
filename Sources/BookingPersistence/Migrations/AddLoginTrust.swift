import FluentKit
import SQLKit

/// Password guesses remember whether they came from an address the account logs in from, and the accounts'
/// usual addresses get a table (`PasswordGuesses`).
struct AddLoginTrust: BookingMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase, types = SchemaDialect(sql)
        try await sql.raw("ALTER TABLE login_attempts ADD COLUMN from_trusted BOOLEAN NOT NULL DEFAULT FALSE").run()
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS login_trust (
                username_key TEXT NOT NULL,
                client_address TEXT NOT NULL,
                last_success_at \(unsafeRaw: types.timestamp) NOT NULL,
                PRIMARY KEY (username_key, client_address)
            )
            """).run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS login_trust_last_success_at ON login_trust (last_success_at)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP TABLE IF EXISTS login_trust").run()
        try await sql.raw("ALTER TABLE login_attempts DROP COLUMN from_trusted").run()
    }
}
