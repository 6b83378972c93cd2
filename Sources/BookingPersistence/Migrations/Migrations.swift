import FluentKit
import SQLKit

/// The schema's history, in order. A shipped migration is never edited: a change is a new one.
public enum BookingSchema {
    public static let migrations: [any Migration] = [
        CreateUsers(),
        CreateResources(),
        CreateBookings(),
        CreateAccessTokens(),
        CreateIdempotencyKeys(),
        AddUserIsActive(),
        CreateLoginAttempts(),
        AddAccessTokenExpiryIndex(),
        CreateSignupAttempts(),
        AddLoginTrust(),
        RekeyResourceNames(),
        AddHolds(),
        AddWaitlist(),
        AddTokenKind(),
        AddEvents(),
        AddWriteCountsAndPasses(),
        AddPeriods(),
        AddSeries(),
        AddNotifications(),
    ]

    /// Whether the database answers and every migration above has been applied.
    static func isReady(_ sql: any SQLDatabase) async throws -> Bool {
        let applied = try await sql.raw("SELECT name FROM _fluent_migrations").all()
            .map { try $0.decode(column: "name", as: String.self) }
        return Set(migrations.map(\.name)).isSubset(of: Set(applied))
    }
}

extension Migrations {
    public func addBookingSchema() {
        add(BookingSchema.migrations)
    }
}

/// Every migration of the schema. Its `name` is what Fluent records in `_fluent_migrations` once it has
/// run; the names were fixed when the migrations shipped (in the module then called `BookingApp`) and
/// never change with the code's layout, or an existing database would see them as new and run them again.
protocol BookingMigration: AsyncMigration {}

extension BookingMigration {
    var name: String { "BookingApp.\(String(describing: Self.self))" }
}

/// A migration that creates one table (and its indexes) in SQL; reverting drops the table.
protocol TableMigration: BookingMigration {
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
