import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import NIOCore

/// Where the data lives: an embedded SQLite file or a PostgreSQL server.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// The pool settings for PostgreSQL; SQLite always has one connection per event loop.
    public struct PoolSettings: Sendable {
        public var connectionsPerLoop: Int
        /// The longest wait to connect or for a pooled connection.
        public var timeout: TimeInterval

        public init(connectionsPerLoop: Int, timeout: TimeInterval) {
            self.connectionsPerLoop = connectionsPerLoop
            self.timeout = timeout
        }
    }

    /// Registers this database with Fluent as the default one; returns the connections each event loop
    /// may open. Throws ``InvalidDatabaseURL`` for a PostgreSQL URL it cannot use.
    public func register(on databases: Databases, pool: PoolSettings) throws -> Int {
        switch self {
        case .sqlite(let path):
            databases.use(.sqlite(.file(path), maxConnectionsPerEventLoop: 1), as: .sqlite)
            return 1
        case .postgres(let url):
            var postgres: SQLPostgresConfiguration
            do {
                postgres = try SQLPostgresConfiguration(url: url)
            } catch {
                throw InvalidDatabaseURL()
            }
            // While PostgreSQL is away, requests fail fast with a 503 instead of hanging; the pool
            // reconnects by itself when it is back.
            let timeout = TimeAmount.milliseconds(Int64(pool.timeout * 1000))
            postgres.coreConfiguration.options.connectTimeout = timeout
            databases.use(
                .postgres(configuration: postgres, maxConnectionsPerEventLoop: pool.connectionsPerLoop,
                          connectionPoolTimeout: timeout),
                as: .psql
            )
            return pool.connectionsPerLoop
        }
    }

    /// Where the read replicas' pool is registered (`READ_DATABASE_URL`).
    public static let readReplicas = DatabaseID(string: "psql_read")

    /// Registers the read replicas' PostgreSQL (`READ_DATABASE_URL`, for the public catalogue) beside this
    /// one, with the same pool settings. Throws ``InvalidDatabaseURL`` for a URL it cannot use.
    public static func registerReadReplicas(url: String, on databases: Databases, pool: PoolSettings) throws {
        var postgres: SQLPostgresConfiguration
        do {
            postgres = try SQLPostgresConfiguration(url: url)
        } catch {
            throw InvalidDatabaseURL()
        }
        let timeout = TimeAmount.milliseconds(Int64(pool.timeout * 1000))
        postgres.coreConfiguration.options.connectTimeout = timeout
        databases.use(.postgres(configuration: postgres, maxConnectionsPerEventLoop: pool.connectionsPerLoop, connectionPoolTimeout: timeout),
                      as: readReplicas, isDefault: false)
    }

    var dialect: SQLSession.Dialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}

/// `DATABASE_URL` names PostgreSQL but cannot be used to connect.
public struct InvalidDatabaseURL: Error {}
