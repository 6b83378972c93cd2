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

    func list(_ filter: BookingFilter) async throws -> [Booking] {
        try await session.sql.raw(Self.page(filter)).all().map(Booking.init(row:))
    }

    /// PostgreSQL writes the page as JSON: the API's field names (in the order the API sorts them), the
    /// date to the millisecond in UTC with a `Z`, `hold` null for a direct booking, `series` null for one on its own (the DTO's wire format,
    /// pinned by a test).
    func listJSON(_ filter: BookingFilter) async throws -> String? {
        guard session.dialect == .postgres else { return nil }
        return try await session.sql.raw("""
            SELECT COALESCE(json_agg(json_build_object(
                'booking_date', to_char(page.booking_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'end', page.period_end, 'hold', page.hold_id, 'id', page.id, 'purchase_quantity', page.purchase_quantity,
                'resource', page.resource_id, 'resource_name', page.resource_name, 'series', page.series_id, 'start', page.period_start,
                'status', page.status,
                'user', page.user_id) ORDER BY page.id DESC), '[]')::text AS listing
            FROM (\(Self.page(filter))) page
            """).first()?.decode(column: "listing", as: String.self)
    }

    /// One page of bookings, newest first; ids grow with time, and ordering by id keeps pages stable.
    private static func page(_ filter: BookingFilter) -> SQLQueryString {
        var conditions: [SQLQueryString] = []
        if let userID = filter.userID { conditions.append("b.user_id = \(bind: userID)") }
        if let resourceID = filter.resourceID { conditions.append("b.resource_id = \(bind: resourceID)") }
        if let status = filter.status { conditions.append("b.status = \(bind: status.rawValue)") }
        if filter.standalone { conditions.append("b.series_id IS NULL") }
        let whereClause: SQLQueryString = conditions.isEmpty ? "" : " WHERE \(conditions.joined(separator: " AND "))"
        return """
            SELECT \(Booking.columns) FROM bookings b JOIN resources r ON r.id = b.resource_id\(whereClause)
            ORDER BY b.id DESC LIMIT \(bind: filter.limit) OFFSET \(bind: filter.offset)
            """
    }
}
