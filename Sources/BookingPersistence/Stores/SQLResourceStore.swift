import BookingDomain
import FluentKit
import Foundation
import SQLKit

struct SQLResourceStore: ResourceStore {
    let session: SQLSession

    func all() async throws -> [Resource] {
        try await session.sql.raw("SELECT \(Resource.columns) FROM resources ORDER BY id").all().map(Resource.init(row:))
    }

    func find(_ reference: ResourceReference) async throws -> Resource? {
        try await session.sql.raw("SELECT \(Resource.columns) FROM resources WHERE \(Resource.matching(reference))")
            .first().map(Resource.init(row:))
    }

    func stockReport() async throws -> [ResourceStock] {
        let active = Booking.Status.active.rawValue, cancelled = Booking.Status.cancelled.rawValue
        return try await session.sql.raw("""
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

    func describe(id: Int, name: String?, description: String?) async throws -> Resource? {
        var assignments: [SQLQueryString] = []
        if let name { assignments += ["name = \(bind: name)", "name_key = \(bind: name.resourceNameKey)"] }
        if let description { assignments.append("description = \(bind: description)") }
        guard !assignments.isEmpty else { return try await find(.id(id)) }
        do {
            return try await session.write { sql in
                try await sql.raw("""
                    UPDATE resources SET \(assignments.joined(separator: ", ")) WHERE id = \(bind: id) RETURNING \(Resource.columns)
                    """).first().map(Resource.init(row:))
            }
        } catch let error as any DatabaseError where error.isConstraintFailure && name != nil {
            // The unique index on name_key refused it: another resource has the name.
            throw AppError.resourceNameTaken
        }
    }
}

extension Resource {
    /// The condition that picks the resource a client referred to: by id, or by name regardless of case.
    static func matching(_ reference: ResourceReference) -> SQLQueryString {
        switch reference {
        case .id(let id): "id = \(bind: id)"
        case .name(let name): "name_key = \(bind: name.resourceNameKey)"
        }
    }
}
