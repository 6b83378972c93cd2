import BookingDomain
import Logging
import NIOCore
import SQLKit
import Tracing

/// A database whose every statement is a client span (when tracing is on): named by the statement's kind
/// and its first table (`SELECT bookings`, `UPDATE resources`), with `db.system.name`,
/// `db.operation.name` and `db.collection.name`, a child of the span the calling task runs in (the
/// request's, or a batch's); a statement run outside a recorded span (the background jobs' polling, a
/// request sampling left out) makes none.
/// Never the statement's text or its values: binds are not read at all.
struct TracedDatabase: WrappingDatabase {
    let base: any SQLDatabase
    let tracer: any Tracer
    /// `postgresql` or `sqlite`.
    let system: String

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        // Only work done for something traced (a request, a batch): the background jobs' polling is not.
        guard let context = ServiceContext.current, context.recordsSpans else { return base.execute(sql: query, onRow) }
        let span = start(query, in: context)
        return base.execute(sql: query, onRow).always { result in
            if case .failure(let error) = result {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
            }
            span.end()
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }

    /// The session's statements are traced too, in the caller's span (which a driver that runs the session
    /// on a task of its own would otherwise lose).
    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let context = ServiceContext.current
        return try await base.withSession { [tracer, system] connection in
            try await ServiceContext.withValue(context) {
                try await closure(TracedDatabase(base: connection, tracer: tracer, system: system))
            }
        }
    }

    private func start(_ query: any SQLExpression, in context: ServiceContext) -> any Tracing.Span {
        let span = tracer.startAnySpan("SQL", context: context, ofKind: .client)
        var serializer = SQLSerializer(database: base)
        query.serialize(to: &serializer)
        let (operation, table) = Self.summary(of: serializer.sql)
        span.operationName = table.map { "\(operation) \($0)" } ?? operation
        span.updateAttributes { attributes in
            attributes["db.system.name"] = system
            attributes["db.operation.name"] = operation
            if let table { attributes["db.collection.name"] = table }
        }
        return span
    }

    /// A statement's kind (its first keyword, or the one after a leading `WITH … )`) and the first table it
    /// names after `FROM`, `INTO`, `UPDATE` or `JOIN`; read from the text alone (identifiers only).
    static func summary(of sql: String) -> (operation: String, table: String?) {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "(" || $0 == "," })
        let keywords: Set<String> = ["SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "CREATE", "ALTER", "DROP",
                                     "LOCK", "SET", "PRAGMA", "WITH"]
        var operation = words.first.map { $0.uppercased() } ?? "SQL"
        if !keywords.contains(operation) { operation = "SQL" }
        if operation == "WITH", let main = words.dropFirst().first(where: { ["SELECT", "INSERT", "UPDATE", "DELETE"].contains($0.uppercased()) }) {
            operation = main.uppercased()
        }
        var table: String?
        for (index, word) in words.enumerated() where index + 1 < words.count {
            let upper = word.uppercased()
            guard upper == "FROM" || upper == "INTO" || upper == "JOIN" || (upper == "UPDATE" && index == words.startIndex) || upper == "TABLE" else { continue }
            let name = words[index + 1].filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
            if !name.isEmpty, name.first?.isLetter == true, !keywords.contains(name.uppercased()) {
                table = String(name)
                break
            }
        }
        return (operation, table)
    }
}
