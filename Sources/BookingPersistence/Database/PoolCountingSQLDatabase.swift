import CoreMetrics
import Logging
import NIOCore
import SQLKit

/// Passes every statement to `base`, counting in `inUse` those under way: each holds a pooled
/// connection for its duration, or is queued for one when the pool is exhausted.
struct PoolCountingSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let inUse: Meter

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        inUse.increment()
        return base.execute(sql: query, onRow).always { [inUse] _ in inUse.decrement() }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        inUse.increment()
        defer { inUse.decrement() }
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        inUse.increment()
        defer { inUse.decrement() }
        return try await base.withSession(closure)
    }
}
