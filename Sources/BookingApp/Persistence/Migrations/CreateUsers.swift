import Fluent
import SQLKit

struct CreateUsers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let types = SchemaDialect(sql)
        // *_key columns hold the lower-cased form, so uniqueness is case-insensitive on both databases.
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS users (
                id \(unsafeRaw: types.identity),
                username TEXT NOT NULL,
                username_key TEXT NOT NULL UNIQUE,
                email TEXT NOT NULL,
                email_key TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                is_admin BOOLEAN NOT NULL DEFAULT FALSE,
                created_at \(unsafeRaw: types.timestamp) NOT NULL
            )
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP TABLE IF EXISTS users").run()
    }
}
