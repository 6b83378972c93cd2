import BookingDomain
import Foundation
import SQLKit

/// The ``Inventory`` in SQL: every statement that changes `resources.available_quantity` or
/// `total_quantity` is in this file. Each is one conditional statement, so no interleaving of requests,
/// on any number of servers, can take stock that is not there; the schema's CHECK constraints
/// (`0 <= available_quantity <= total_quantity`) refuse to commit anything else even if a statement
/// here were wrong.
struct SQLInventory: Inventory {
    /// The storage this inventory came from: on the pool, or bound to a transaction.
    let storage: SQLStorage
    private var session: SQLSession { storage.session }

    func add(name: String, description: String, stock: Stock, at date: Date) async throws -> Resource? {
        try await session.write { sql in
            try await sql.raw("""
                INSERT INTO resources (name, name_key, description, total_quantity, available_quantity, created_at)
                VALUES (\(bind: name), \(bind: name.resourceNameKey), \(bind: description), \(bind: stock.total),
                        \(bind: stock.available), \(bind: date))
                ON CONFLICT DO NOTHING
                RETURNING \(Resource.columns)
                """).first().map(Resource.init(row:))
        }
    }

    func book(_ quantity: Int, of reference: ResourceReference, for userID: Int, at date: Date) async throws -> Booking {
        let booked: Booking?
        switch session.dialect {
        case .postgres:
            // One statement, atomic on its own: on the pool a booking costs one round trip instead of
            // BEGIN, UPDATE, INSERT and COMMIT, and the row lock is held for no longer than the statement.
            // Inside a caller's transaction (an Idempotency-Key) it is simply one statement of it.
            booked = try await session.write { sql in
                try await sql.raw("""
                    WITH taken AS (
                        \(Self.take(quantity, from: reference)) RETURNING id, name
                    ), booked AS (
                        INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date)
                        SELECT id, \(bind: userID), \(bind: quantity), \(bind: Booking.Status.active.rawValue), \(bind: date) FROM taken
                        RETURNING id, resource_id
                    )
                    SELECT booked.id, booked.resource_id, taken.name AS resource_name FROM booked, taken
                    """).first().map { try Self.booking(from: $0, userID: userID, quantity: quantity, date: date) }
            }
        case .sqlite:
            // SQLite has no data-changing CTEs: the same conditional UPDATE, then the INSERT, in one
            // transaction (the caller's, or one of its own).
            booked = try await storage.withTransaction { tx in
                try await tx.session.write { sql in
                    guard let taken = try await sql.raw("\(Self.take(quantity, from: reference)) RETURNING id, name").first() else {
                        return nil
                    }
                    let resourceID = try taken.decode(column: "id", as: Int.self)
                    let inserted = try await sql.raw("""
                        INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date)
                        VALUES (\(bind: resourceID), \(bind: userID), \(bind: quantity), \(bind: Booking.Status.active.rawValue), \(bind: date))
                        RETURNING id
                        """).first()
                    guard let inserted else { throw DatabaseInvariantViolation("INSERT INTO bookings returned no row") }
                    return Booking(
                        id: try inserted.decode(column: "id", as: Int.self), resourceID: resourceID,
                        resourceName: try taken.decode(column: "name", as: String.self),
                        userID: userID, purchaseQuantity: quantity, bookingDate: date, status: .active
                    )
                }
            }
        }
        if let booked { return booked }
        // Nothing was taken: say why, from the resource as it is now.
        guard let current = try await SQLResourceStore(session: session).find(reference) else { throw AppError.resourceNotFound }
        throw AppError.insufficientQuantity(requested: quantity, available: current.stock.available)
    }

    /// The one conditional UPDATE that takes stock: it changes the row only if enough units are available.
    private static func take(_ quantity: Int, from reference: ResourceReference) -> SQLQueryString {
        """
        UPDATE resources SET available_quantity = available_quantity - \(bind: quantity)
        WHERE \(Resource.matching(reference)) AND available_quantity >= \(bind: quantity)
        """
    }

    private static func booking(from row: any SQLRow, userID: Int, quantity: Int, date: Date) throws -> Booking {
        Booking(
            id: try row.decode(column: "id", as: Int.self), resourceID: try row.decode(column: "resource_id", as: Int.self),
            resourceName: try row.decode(column: "resource_name", as: String.self),
            userID: userID, purchaseQuantity: quantity, bookingDate: date, status: .active
        )
    }

    func cancel(bookingID: Int, ownerID: Int?, at date: Date) async throws -> Booking {
        try await storage.withTransaction { tx in
            let session = tx.session, bookings = SQLBookingStore(session: session)
            // Compare-and-swap on the status: of racing cancels only one flips it, and only that one gives back.
            var condition: SQLQueryString = "id = \(bind: bookingID) AND status = \(bind: Booking.Status.active.rawValue)"
            if let ownerID { condition += " AND user_id = \(bind: ownerID)" }
            let released = try await session.sql.raw("""
                UPDATE bookings SET status = \(bind: Booking.Status.cancelled.rawValue), cancelled_at = \(bind: date)
                WHERE \(condition)
                RETURNING resource_id, purchase_quantity
                """).first()
            guard let released else {
                guard let booking = try await bookings.find(id: bookingID), ownerID == nil || booking.userID == ownerID else {
                    throw AppError.bookingNotFound
                }
                throw AppError.bookingAlreadyCancelled
            }
            try await session.sql.raw("""
                UPDATE resources SET available_quantity = available_quantity + \(bind: try released.decode(column: "purchase_quantity", as: Int.self))
                WHERE id = \(bind: try released.decode(column: "resource_id", as: Int.self))
                """).run()
            guard let cancelled = try await bookings.find(id: bookingID) else { throw AppError.bookingNotFound }
            return cancelled
        }
    }

    func resize(resourceID: Int, total: Int) async throws -> Resource {
        // On the right of SET every column still has its old value, on both databases.
        let resized = try await session.write { sql in
            try await sql.raw("""
                UPDATE resources SET total_quantity = \(bind: total),
                    available_quantity = available_quantity + (\(bind: total) - total_quantity)
                WHERE id = \(bind: resourceID) AND available_quantity + (\(bind: total) - total_quantity) >= 0
                RETURNING \(Resource.columns)
                """).first().map(Resource.init(row:))
        }
        if let resized { return resized }
        guard let current = try await SQLResourceStore(session: session).find(.id(resourceID)) else { throw AppError.resourceNotFound }
        throw AppError.totalBelowBooked(booked: current.stock.booked)
    }

    func remove(resourceID: Int) async throws {
        try await storage.withTransaction { tx in
            let session = tx.session
            // Locks the row until the transaction ends, so no booking can start on the resource meanwhile.
            guard try await session.sql.raw("SELECT id FROM resources WHERE id = \(bind: resourceID)\(session.lockRows)").first() != nil else {
                throw AppError.resourceNotFound
            }
            let active = try await session.sql.raw("""
                SELECT COUNT(*) AS n FROM bookings WHERE resource_id = \(bind: resourceID) AND status = \(bind: Booking.Status.active.rawValue)
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            guard active == 0 else { throw AppError.resourceHasActiveBookings(count: active) }
            try await session.sql.raw("DELETE FROM bookings WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM resources WHERE id = \(bind: resourceID)").run()
        }
    }
}
