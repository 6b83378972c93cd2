import AsyncKit
import FluentPostgresDriver
import FluentSQLiteDriver
import NIOCore

/// What the edge needs to know about the databases' own errors, without knowing the drivers.
public enum StorageFailure {
    /// Whether `error` means the database could not be reached in time (the client gets a 503 and
    /// retries), as opposed to a fault in a statement.
    public static func isUnavailable(_ error: any Error) -> Bool {
        switch error {
        case is ConnectionPoolTimeoutError, is ConnectionPoolError, is StatementTimedOut:
            return true
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                // 08: connection exceptions; 57: the server is shutting down or starting (57P01-57P03);
                // 53300: too many connections; 25006: a read-only server (a primary demoted or restarting
                // as a replica during a failover: the connection is closed and the next one finds the
                // new primary).
                return state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" || state == "25006"
            }
            // An error out of turn is how PgBouncer reports that PostgreSQL went away under a query
            // ("server conn crashed?", 08P01, sent where the protocol expects a result); PostgresNIO
            // then closes the connection, so it is the same outage as a closed connection.
            return [
                .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown,
                .unexpectedBackendMessage,
            ].contains(error.code)
        case let error as PostgresError:
            // How PostgresNIO fails a statement whose connection closed under it.
            if case .connectionClosed = error { return true }
            return false
        case let error as ChannelError:
            return [.ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed].contains(error)
        default:
            return false
        }
    }

    /// The one line an operator needs when the database stopped start-up; nil for other errors.
    public static func startupDescription(of error: any Error) -> String? {
        switch error {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                return "PostgreSQL refused the connection or a statement: \(message)"
            }
            if let underlying = error.underlying {
                return "cannot reach PostgreSQL (check DATABASE_URL): \(underlying)"
            }
            return "PostgreSQL failed: \(String(reflecting: error))"
        case let error as SQLiteError:
            return "cannot use the SQLite database (check DATABASE_URL): \(error.message)"
        default:
            return nil
        }
    }
}
