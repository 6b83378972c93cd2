import AsyncKit
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLiteKit
import SQLKit

/// Stands in for the pool once the application has shut its databases down: every statement fails as a
/// closed pool does (the edge answers 503), instead of the process crashing on a late caller.
struct ClosedDatabase: SQLDatabase {
    let sqlDialect: SQLSession.Dialect

    var logger: Logger { Logger(label: "booking.closed-database") }
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect {
        switch sqlDialect {
        case .sqlite: SQLiteDialect()
        case .postgres: PostgresDialect()
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeFailedFuture(ConnectionPoolError.shutdown)
    }
}
