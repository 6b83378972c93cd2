import SQLKit

struct CreateResources: TableMigration {
    let table = "resources"

    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws {
        // The CHECKs are the last line of defence against oversell: no statement can commit a stock outside them.
        try await sql.raw("""
            CREATE TABLE IF NOT EXISTS resources (
                id \(unsafeRaw: types.identity),
                name TEXT NOT NULL,
                name_key TEXT NOT NULL UNIQUE,
                description TEXT NOT NULL DEFAULT '',
                total_quantity BIGINT NOT NULL,
                available_quantity BIGINT NOT NULL,
                created_at \(unsafeRaw: types.timestamp) NOT NULL,
                CONSTRAINT resources_total_non_negative CHECK (total_quantity >= 0),
                CONSTRAINT resources_available_in_range CHECK (available_quantity >= 0 AND available_quantity <= total_quantity)
            )
            """).run()
    }
}
