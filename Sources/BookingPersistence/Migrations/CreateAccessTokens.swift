import SQLKit

struct CreateAccessTokens: TableMigration {
    let table = "access_tokens"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
        // Only a SHA-256 of each token is stored: a copy of the database does not let anyone log in.
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS access_tokens (
                token_hash TEXT PRIMARY KEY,
                user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                created_at \(unsafeRaw: types.timestamp) NOT NULL,
                expires_at \(unsafeRaw: types.timestamp) NOT NULL
            )
            """).run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS access_tokens_user_id ON access_tokens (user_id)").run()
    }
}
