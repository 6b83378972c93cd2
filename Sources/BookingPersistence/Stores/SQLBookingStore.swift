import BookingDomain
import Foundation
import SQLKit

struct SQLBookingStore: BookingStore {
    let session: SQLSession

    func find(id: Int) async throws -> Booking? {
        try await session.sql.raw("""
            SELECT \(Booking.columns) FROM bookings b JOIN resources r ON r.id = b.resource_id WHERE b.id = \(bind: id)
            """).first().map(Booking.init(row:))
    }

    /// Newest first; ids grow with time, and ordering by id keeps pages stable.
    func list(_ filter: BookingFilter) async throws -> [Booking] {
        var conditions: [SQLQueryString] = []
        if let userID = filter.userID { conditions.append("b.user_id = \(bind: userID)") }
        if let resourceID = filter.resourceID { conditions.append("b.resource_id = \(bind: resourceID)") }
        if let status = filter.status { conditions.append("b.status = \(bind: status.rawValue)") }
        let whereClause: SQLQueryString = conditions.isEmpty ? "" : " WHERE \(conditions.joined(separator: " AND "))"
        return try await session.sql.raw("""
            SELECT \(Booking.columns) FROM bookings b JOIN resources r ON r.id = b.resource_id\(whereClause)
            ORDER BY b.id DESC LIMIT \(bind: filter.limit) OFFSET \(bind: filter.offset)
            """).all().map(Booking.init(row:))
    }
}
