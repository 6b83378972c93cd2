import SQLKit

struct CreateUsers: TableMigration {
    let table = "users"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
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
}
