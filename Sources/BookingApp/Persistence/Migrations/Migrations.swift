import Fluent
import SQLKit

extension Migrations {
    /// The schema's history, in order. A shipped migration is never edited: a change is a new one.
    func addBookingSchema() {
        add(CreateUsers())
        add(CreateResources())
        add(CreateBookings())
        add(CreateAccessTokens())
        add(CreateIdempotencyKeys())
        add(AddUserIsActive())
        add(CreateLoginAttempts())
    }
}

/// A migration that creates one table (and its indexes) in SQL; reverting drops the table.
protocol TableMigration: AsyncMigration {
    var table: String { get }
    func create(on sql: any SQLDatabase, types: SchemaDialect) async throws
}

extension TableMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await create(on: sql, types: SchemaDialect(sql))
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP TABLE IF EXISTS \(ident: table)").run()
    }
}
