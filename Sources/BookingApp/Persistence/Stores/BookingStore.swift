import Foundation
import SQLKit

/// Bookings: their creation, the one-way switch from active to cancelled, and listings.
struct BookingStore {
    let sql: any SQLDatabase

    struct Filter: Sendable, Equatable {
        var userID: Int?
        var resourceID: Int?
        var status: Booking.Status?
        var limit: Int
        var offset: Int
    }

    func insert(resource: Resource, userID: Int, quantity: Int, at date: Date) async throws -> Booking {
        let row = try await sql.raw("""
            INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date)
            VALUES (\(bind: resource.id), \(bind: userID), \(bind: quantity), \(bind: Booking.Status.active.rawValue), \(bind: date))
            RETURNING id
            """).first()
        guard let row else { throw DatabaseInvariantViolation("INSERT INTO bookings returned no id") }
        return Booking(
            id: try row.decode(column: "id", as: Int.self), resourceID: resource.id, resourceName: resource.name,
            userID: userID, purchaseQuantity: quantity, bookingDate: date, status: .active
        )
    }

    /// PostgreSQL only: takes the stock and inserts the booking in one statement, which is atomic on its
    /// own, so a booking costs one round trip instead of BEGIN, UPDATE, INSERT and COMMIT. The stock is
    /// taken by the same conditional UPDATE as `ResourceStore.take`; nil when it was not there.
    func insertTakingStock(_ quantity: Int, from resourceID: Int, userID: Int, at date: Date) async throws -> Booking? {
        guard let row = try await sql.raw("""
            WITH taken AS (
                UPDATE resources SET available_quantity = available_quantity - \(bind: quantity)
                WHERE id = \(bind: resourceID) AND available_quantity >= \(bind: quantity)
                RETURNING id, name
            ), booked AS (
                INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date)
                SELECT id, \(bind: userID), \(bind: quantity), \(bind: Booking.Status.active.rawValue), \(bind: date) FROM taken
                RETURNING id
            )
            SELECT booked.id, taken.name FROM booked, taken
            """).first()
        else { return nil }
        return Booking(
            id: try row.decode(column: "id", as: Int.self), resourceID: resourceID,
            resourceName: try row.decode(column: "name", as: String.self),
            userID: userID, purchaseQuantity: quantity, bookingDate: date, status: .active
        )
    }

    /// Flips an active booking to cancelled (compare-and-swap on its status) and returns what it held.
    /// Nil when it is not active or not visible to `ownerID`: of two racing cancels only one gets the units.
    func cancel(id: Int, ownerID: Int?, at date: Date) async throws -> (resourceID: Int, quantity: Int)? {
        var condition: SQLQueryString = "id = \(bind: id) AND status = \(bind: Booking.Status.active.rawValue)"
        if let ownerID { condition += " AND user_id = \(bind: ownerID)" }
        guard let row = try await sql.raw("""
            UPDATE bookings SET status = \(bind: Booking.Status.cancelled.rawValue), cancelled_at = \(bind: date)
            WHERE \(condition)
            RETURNING resource_id, purchase_quantity
            """).first()
        else { return nil }
        return (try row.decode(column: "resource_id", as: Int.self), try row.decode(column: "purchase_quantity", as: Int.self))
    }

    func find(id: Int) async throws -> Booking? {
        try await sql.raw("""
            SELECT \(Booking.columns) FROM bookings b JOIN resources r ON r.id = b.resource_id WHERE b.id = \(bind: id)
            """).first().map(Booking.init(row:))
    }

    /// Newest first; ids grow with time, and ordering by id keeps pages stable.
    func list(_ filter: Filter) async throws -> [Booking] {
        var conditions: [SQLQueryString] = []
        if let userID = filter.userID { conditions.append("b.user_id = \(bind: userID)") }
        if let resourceID = filter.resourceID { conditions.append("b.resource_id = \(bind: resourceID)") }
        if let status = filter.status { conditions.append("b.status = \(bind: status.rawValue)") }
        let whereClause: SQLQueryString = conditions.isEmpty ? "" : " WHERE \(conditions.joined(separator: " AND "))"
        return try await sql.raw("""
            SELECT \(Booking.columns) FROM bookings b JOIN resources r ON r.id = b.resource_id\(whereClause)
            ORDER BY b.id DESC LIMIT \(bind: filter.limit) OFFSET \(bind: filter.offset)
            """).all().map(Booking.init(row:))
    }

    func activeCount(resourceID: Int) async throws -> Int {
        let row = try await sql.raw("""
            SELECT COUNT(*) AS n FROM bookings WHERE resource_id = \(bind: resourceID) AND status = \(bind: Booking.Status.active.rawValue)
            """).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Removes a resource's booking history; the caller has checked none is active.
    func deleteAll(resourceID: Int) async throws {
        try await sql.raw("DELETE FROM bookings WHERE resource_id = \(bind: resourceID)").run()
    }
}

/// The database answered in a way its schema rules out; a server fault, never the client's.
struct DatabaseInvariantViolation: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
