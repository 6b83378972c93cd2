import SQLKit

struct CreateLoginAttempts: TableMigration {
    let table = "login_attempts"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
        // One row per failed login: the throttle counts them per username and per client address, in the
        // database, so every replica sees the same counts.
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS login_attempts (
                id \(unsafeRaw: types.identity),
                username_key TEXT NOT NULL,
                client_address TEXT NOT NULL,
                attempted_at \(unsafeRaw: types.timestamp) NOT NULL
            )
            """).run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS login_attempts_username ON login_attempts (username_key, attempted_at)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS login_attempts_address ON login_attempts (client_address, attempted_at)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS login_attempts_attempted_at ON login_attempts (attempted_at)").run()
    }
}
