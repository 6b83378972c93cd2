import Foundation
import SQLKit

/// Resources and their stock. Every statement that changes `available_quantity` is in this file, and each
/// is a single conditional UPDATE, so no interleaving of requests can take stock that is not there.
struct ResourceStore {
    let sql: any SQLDatabase

    func all() async throws -> [Resource] {
        try await sql.raw("SELECT \(Resource.columns) FROM resources ORDER BY id").all().map(Resource.init(row:))
    }

    func stockReport() async throws -> [ResourceStock] {
        let active = Booking.Status.active.rawValue, cancelled = Booking.Status.cancelled.rawValue
        return try await sql.raw("""
            SELECT r.id, r.name, r.description, r.total_quantity, r.available_quantity,
                   COUNT(b.id) FILTER (WHERE b.status = \(bind: active)) AS active_bookings,
                   CAST(COALESCE(SUM(b.purchase_quantity) FILTER (WHERE b.status = \(bind: active)), 0) AS BIGINT) AS active_units,
                   COUNT(b.id) FILTER (WHERE b.status = \(bind: cancelled)) AS cancelled_bookings
            FROM resources r LEFT JOIN bookings b ON b.resource_id = r.id
            GROUP BY r.id, r.name, r.description, r.total_quantity, r.available_quantity ORDER BY r.id
            """).all().map { row in
            ResourceStock(resource: try Resource(row: row),
                      activeBookings: try row.decode(column: "active_bookings", as: Int.self),
                      activeUnits: try row.decode(column: "active_units", as: Int.self),
                      cancelledBookings: try row.decode(column: "cancelled_bookings", as: Int.self))
        }
    }

    func find(_ reference: ResourceReference) async throws -> Resource? {
        try await sql.raw("SELECT \(Resource.columns) FROM resources WHERE \(matching(reference))")
            .first().map(Resource.init(row:))
    }

    /// Inserts a resource, or returns nil when the name is taken (case-insensitively).
    func insert(name: String, description: String, total: Int, available: Int, at date: Date) async throws -> Resource? {
        try await sql.raw("""
            INSERT INTO resources (name, name_key, description, total_quantity, available_quantity, created_at)
            VALUES (\(bind: name), \(bind: name.uniquenessKey), \(bind: description), \(bind: total), \(bind: available), \(bind: date))
            ON CONFLICT DO NOTHING
            RETURNING \(Resource.columns)
            """).first().map(Resource.init(row:))
    }

    /// Changes the given fields. A new total moves the available stock by the same delta, and only if that
    /// leaves it non-negative; returns nil when the resource is missing or the guard failed.
    func update(id: Int, name: String?, description: String?, total: Int?) async throws -> Resource? {
        var assignments: [SQLQueryString] = []
        var condition: SQLQueryString = "id = \(bind: id)"
        if let name {
            assignments += ["name = \(bind: name)", "name_key = \(bind: name.uniquenessKey)"]
        }
        if let description {
            assignments.append("description = \(bind: description)")
        }
        if let total {
            // On the right of SET every column still has its old value, on both databases.
            assignments += [
                "total_quantity = \(bind: total)",
                "available_quantity = available_quantity + (\(bind: total) - total_quantity)",
            ]
            condition += " AND available_quantity + (\(bind: total) - total_quantity) >= 0"
        }
        guard !assignments.isEmpty else { return try await find(.id(id)) }
        return try await sql.raw("""
            UPDATE resources SET \(assignments.joined(separator: ", ")) WHERE \(condition) RETURNING \(Resource.columns)
            """).first().map(Resource.init(row:))
    }

    /// Takes `quantity` units if at least that many are available, in one statement; nil otherwise.
    func take(_ quantity: Int, from reference: ResourceReference) async throws -> Resource? {
        try await sql.raw("""
            UPDATE resources SET available_quantity = available_quantity - \(bind: quantity)
            WHERE \(matching(reference)) AND available_quantity >= \(bind: quantity)
            RETURNING \(Resource.columns)
            """).first().map(Resource.init(row:))
    }

    /// Returns units from a cancelled booking.
    func giveBack(_ quantity: Int, to resourceID: Int) async throws {
        try await sql.raw("""
            UPDATE resources SET available_quantity = available_quantity + \(bind: quantity) WHERE id = \(bind: resourceID)
            """).run()
    }

    /// Locks the resource's row until the transaction ends, so no booking can start on it meanwhile.
    /// SQLite needs no row lock: `BEGIN IMMEDIATE` already holds the database's write lock.
    func lock(id: Int) async throws -> Resource? {
        let lockClause: SQLQueryString = sql.isSQLite ? "" : " FOR UPDATE"
        return try await sql.raw("SELECT \(Resource.columns) FROM resources WHERE id = \(bind: id)\(lockClause)")
            .first().map(Resource.init(row:))
    }

    func delete(id: Int) async throws {
        try await sql.raw("DELETE FROM resources WHERE id = \(bind: id)").run()
    }

    private func matching(_ reference: ResourceReference) -> SQLQueryString {
        switch reference {
        case .id(let id): "id = \(bind: id)"
        case .name(let name): "name_key = \(bind: name.uniquenessKey)"
        }
    }
}
