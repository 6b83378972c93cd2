import FluentPostgresDriver
import FluentSQLiteDriver

/// Turns whatever stopped start-up into the one line an operator needs, never a stack trace.
public enum StartupFailure {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as ConfigurationError:
            return error.description
        case let error as AppError:
            return error.reason
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
            return String(describing: error)
        }
    }
}
