import SQLKit

struct CreateSignupAttempts: TableMigration {
    let table = "signup_attempts"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
        // One row per anonymous sign-up attempt, counted per client address in the database so that every
        // replica enforces the same limit.
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS signup_attempts (
                id \(unsafeRaw: types.identity),
                client_address TEXT NOT NULL,
                attempted_at \(unsafeRaw: types.timestamp) NOT NULL
            )
            """).run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS signup_attempts_address ON signup_attempts (client_address, attempted_at)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS signup_attempts_attempted_at ON signup_attempts (attempted_at)").run()
    }
}
