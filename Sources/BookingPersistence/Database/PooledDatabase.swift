import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// The pool as the stores use it: counts every statement and transaction under way in `inUse` (each holds
/// a pooled connection, or waits for one), and on PostgreSQL runs each statement on a live connection
/// within a deadline (``LiveConnection``), so no statement can wait for ever on a connection that died.
struct PooledDatabase: WrappingDatabase {
    let base: any SQLDatabase
    let inUse: Meter
    let guardian: ConnectionGuardian

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        inUse.increment()
        let done: EventLoopFuture<Void>
        if let postgres = base as? any PostgresDatabase {
            let guardian = self.guardian
            done = postgres.withConnection { connection in LiveConnection(connection: connection, guardian: guardian).run(query, onRow) }
        } else {
            done = base.execute(sql: query, onRow)
        }
        return done.always { [inUse] _ in inUse.decrement() }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        inUse.increment()
        defer { inUse.decrement() }
        guard let postgres = base as? any PostgresDatabase else { return try await base.withSession(closure) }
        let guardian = self.guardian
        // A transaction's statements go to one connection; each is guarded as a pool statement is.
        return try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask { try await closure(LiveConnection(connection: connection, guardian: guardian)) }
        }.get()
    }
}

/// A database that runs its statements on another (`base`), and is otherwise that one: its logger, event
/// loop, version and dialect.
protocol WrappingDatabase: SQLDatabase {
    var base: any SQLDatabase { get }
}

extension WrappingDatabase {
    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }
}

/// One PostgreSQL connection whose statements are always answered.
///
/// PostgresNIO writes a statement to its channel without a promise: written to a connection that has
/// closed, it is dropped and its answer never comes (a failover closes connections at any moment, also
/// between two statements of a transaction). So each statement is written on the connection's event
/// loop, after checking in the same tick that the connection is open (then its answer, or its failure when
/// the connection closes, is certain). And it has a deadline (`DATABASE_STATEMENT_TIMEOUT`): past it, the
/// connection is closed, which fails the statement, and the pool opens a fresh one, so a server that
/// stops answering without closing (a partition) costs a 503, not a hung request or a wedged batch.
/// A statement refused because the server is read-only (25006: a primary that was demoted, or restarted
/// as a replica) closes its connection too, so the next one reaches the current primary.
struct LiveConnection: SQLDatabase {
    let connection: PostgresConnection
    let guardian: ConnectionGuardian

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { PostgresDialect() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        run(query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await run(query, onRow).get()
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    func run(_ query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        let connection = self.connection, guardian = self.guardian
        return connection.eventLoop.flatSubmit {
            guard !connection.isClosed else {
                guardian.record(.failure(PostgresError.connectionClosed))
                return connection.eventLoop.makeFailedFuture(PostgresError.connectionClosed)
            }
            let expired = NIOLockedValueBox(false)
            let deadline = connection.eventLoop.scheduleTask(in: guardian.statementTimeout) {
                expired.withLockedValue { $0 = true }
                guardian.dropped(.deadline)
                connection.closeSoon()
            }
            return connection.sql().execute(sql: query, onRow).flatMapErrorThrowing { error in
                if expired.withLockedValue({ $0 }) { throw StatementTimedOut() }
                if Self.isReadOnlyRefusal(error) {
                    guardian.dropped(.readOnly)
                    connection.closeSoon()
                }
                throw error
            }.always { result in
                deadline.cancel()
                guardian.record(result)
            }
        }
    }

    /// The server refused a write because it is not (or no longer) a primary.
    static func isReadOnlyRefusal(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "25006"
    }
}

/// A statement that had no answer within `DATABASE_STATEMENT_TIMEOUT`; its connection was closed.
public struct StatementTimedOut: Error, CustomStringConvertible {
    public var description: String { "the database did not answer within DATABASE_STATEMENT_TIMEOUT; the connection was closed" }
}

extension PostgresConnection {
    /// Closes the connection without waiting for it: its pending statements fail, the pool replaces it.
    fileprivate func closeSoon() {
        let closed: EventLoopFuture<Void> = close()
        closed.whenComplete { _ in }
    }
}
