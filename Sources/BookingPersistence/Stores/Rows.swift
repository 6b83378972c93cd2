import BookingDomain
import Foundation
import SQLKit

// How each entity is read from a result row. Column lists are kept next to the decoders that expect them.

extension User {
    /// The columns `init(row:)` reads, optionally qualified by a table alias for joins.
    static func columns(of alias: String? = nil) -> SQLQueryString {
        let prefix = alias.map { "\($0)." } ?? ""
        return SQLQueryString(
            ["id", "username", "email", "is_admin", "is_active", "created_at", "mail_off"].map { prefix + $0 }.joined(separator: ", ")
        )
    }

    init(row: any SQLRow) throws {
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            username: try row.decode(column: "username", as: String.self),
            email: try row.decode(column: "email", as: String.self),
            isAdmin: try row.decode(column: "is_admin", as: Bool.self),
            isActive: try row.decode(column: "is_active", as: Bool.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            mailOff: Set(try row.decode(column: "mail_off", as: String.self).split(separator: ",").compactMap { NotificationKind(rawValue: String($0)) })
        )
    }
}

extension Resource {
    /// The columns as stored. Stored stock is exact only where the row is locked and its lapsed holds
    /// reclaimed (``SQLInventory``); elsewhere select from ``current(at:)``.
    static let columns: SQLQueryString = """
        id, name, description, total_quantity, available_quantity, held_quantity, max_per_user, max_per_booking, waiting_count, schedule
        """

    /// The resources with their stock as at `now`, to select from as `r`: the units of holds that lapsed
    /// by then but are still stored as held count as available.
    static func current(at now: Date) -> SQLQueryString {
        """
        (SELECT res.id, res.name, res.name_key, res.description, res.total_quantity,
                res.available_quantity + COALESCE(lapsed.units, 0) AS available_quantity,
                res.held_quantity - COALESCE(lapsed.units, 0) AS held_quantity, res.max_per_user, res.max_per_booking,
                res.waiting_count, res.schedule
         FROM resources res LEFT JOIN (
             SELECT resource_id, CAST(SUM(quantity) AS BIGINT) AS units FROM holds
             WHERE status = 'held' AND \(Hold.lapsed(at: now)) AND period_from IS NULL GROUP BY resource_id
         ) lapsed ON lapsed.resource_id = res.id) r
        """
    }

    init(row: any SQLRow) throws {
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            stock: Stock(
                total: try row.decode(column: "total_quantity", as: Int.self),
                available: try row.decode(column: "available_quantity", as: Int.self),
                held: try row.decode(column: "held_quantity", as: Int.self)
            ),
            limits: UserLimits(
                maxPerUser: try row.decode(column: "max_per_user", as: Int?.self),
                maxPerBooking: try row.decode(column: "max_per_booking", as: Int?.self)
            ),
            waitingEntries: try row.decode(column: "waiting_count", as: Int.self),
            schedule: try row.decode(column: "schedule", as: String?.self).map(Schedule.init(stored:))
        )
    }
}

extension Schedule {
    /// The schedule as the `schedule` column keeps it: its API document as JSON.
    var stored: String {
        // The document is plain strings and numbers: encoding it cannot fail.
        String(decoding: (try? JSONEncoder.sortedKeys.encode(document)) ?? Data(), as: UTF8.self)
    }

    init(stored: String) throws {
        let document = try JSONDecoder().decode(Document.self, from: Data(stored.utf8))
        do {
            try self.init(document)
        } catch {
            throw DatabaseInvariantViolation("a stored schedule is not valid: \(error)")
        }
    }
}

extension JSONEncoder {
    static let sortedKeys: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

extension TakenRange {
    /// The period columns of a booking or hold, qualified by `alias`.
    static func columns(_ alias: String) -> SQLQueryString {
        SQLQueryString(["period_kind", "period_from", "period_to", "period_start", "period_end"].map { "\(alias).\($0)" }.joined(separator: ", "))
    }

    /// A booking's or hold's range as its row has it; nil for a pool's.
    init?(row: any SQLRow) throws {
        guard let raw = try row.decode(column: "period_kind", as: Int?.self) else { return nil }
        guard let kind = PeriodKey.Kind(rawValue: raw) else { throw DatabaseInvariantViolation("unknown period kind \(raw)") }
        self.init(kind: kind, from: try row.decode(column: "period_from", as: Int64.self), to: try row.decode(column: "period_to", as: Int64.self),
                  start: try row.decode(column: "period_start", as: String.self), end: try row.decode(column: "period_end", as: String.self))
    }
}

extension Hold {
    /// The SQL of ``Hold/hasLapsed(expiresAt:at:)``, on the `expires_at` column in scope.
    static func lapsed(at now: Date) -> SQLQueryString {
        "expires_at <= \(bind: now)"
    }

    /// A one-row query of the units of a resource's holds that lapsed by `now` but are still stored as
    /// held (`units`): what a read counts as available on top of the stored figure. `resource` is an SQL
    /// expression for its id.
    static func lapsedUnits(ofResource resource: SQLQueryString, at now: Date) -> SQLQueryString {
        """
        SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) AS units FROM holds
        WHERE resource_id = \(resource) AND status = \(bind: Status.held.rawValue) AND \(lapsed(at: now))
        """
    }

    /// Read from `holds h JOIN resources r ON r.id = h.resource_id LEFT JOIN bookings b ON b.hold_id = h.id`.
    static let columns: SQLQueryString = """
        h.id, h.resource_id, r.name AS resource_name, h.user_id, h.quantity, h.status, h.created_at, h.expires_at, b.id AS booking_id,
        h.waitlist_entry_id, \(TakenRange.columns("h"))
        """

    init(row: any SQLRow) throws {
        let status = try row.decode(column: "status", as: String.self)
        guard let status = Status(rawValue: status) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown hold status \(status)"))
        }
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            resourceID: try row.decode(column: "resource_id", as: Int.self),
            resourceName: try row.decode(column: "resource_name", as: String.self),
            userID: try row.decode(column: "user_id", as: Int.self),
            quantity: try row.decode(column: "quantity", as: Int.self),
            storedStatus: status,
            createdAt: try row.decode(column: "created_at", as: Date.self),
            expiresAt: try row.decode(column: "expires_at", as: Date.self),
            bookingID: try row.decode(column: "booking_id", as: Int?.self),
            waitlistEntryID: try row.decode(column: "waitlist_entry_id", as: Int?.self),
            range: try TakenRange(row: row)
        )
    }
}

extension WaitlistEntry {
    /// Entries with their resource's name and their offer, if any, to select ``columns`` from.
    static let from: SQLQueryString = """
        waitlist_entries e JOIN resources r ON r.id = e.resource_id LEFT JOIN holds h ON h.waitlist_entry_id = e.id
        """

    /// Read from ``from``. A waiting entry's position counts the entries waiting up to it.
    static let columns: SQLQueryString = """
        e.id, e.resource_id, r.name AS resource_name, e.user_id, e.quantity, e.status, e.created_at, e.ended_at,
        e.removed_reason, h.id AS offer_hold_id, h.expires_at AS offer_expires_at, \(TakenRange.columns("e")),
        CASE WHEN e.status = 'waiting' THEN (SELECT COUNT(*) FROM waitlist_entries w
            WHERE w.resource_id = e.resource_id AND w.status = 'waiting' AND w.id <= e.id) END AS position
        """

    init(row: any SQLRow) throws {
        let status = try row.decode(column: "status", as: String.self)
        guard let status = Status(rawValue: status) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown waiting-list status \(status)"))
        }
        let holdID = try row.decode(column: "offer_hold_id", as: Int?.self)
        let expiresAt = try row.decode(column: "offer_expires_at", as: Date?.self)
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            resourceID: try row.decode(column: "resource_id", as: Int.self),
            resourceName: try row.decode(column: "resource_name", as: String.self),
            userID: try row.decode(column: "user_id", as: Int.self),
            quantity: try row.decode(column: "quantity", as: Int.self),
            storedStatus: status,
            position: try row.decode(column: "position", as: Int?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            offer: zip(holdID, expiresAt).map { Offer(holdID: $0, expiresAt: $1) },
            endedAt: try row.decode(column: "ended_at", as: Date?.self),
            removedReason: try row.decode(column: "removed_reason", as: String?.self),
            range: try TakenRange(row: row)
        )
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

extension Booking {
    static let columns: SQLQueryString = """
        b.id, b.resource_id, r.name AS resource_name, b.user_id, b.purchase_quantity, b.booking_date, b.status, b.hold_id,
        b.series_id, \(TakenRange.columns("b"))
        """

    init(row: any SQLRow) throws {
        let status = try row.decode(column: "status", as: String.self)
        guard let status = Status(rawValue: status) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown booking status \(status)"))
        }
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            resourceID: try row.decode(column: "resource_id", as: Int.self),
            resourceName: try row.decode(column: "resource_name", as: String.self),
            userID: try row.decode(column: "user_id", as: Int.self),
            purchaseQuantity: try row.decode(column: "purchase_quantity", as: Int.self),
            bookingDate: try row.decode(column: "booking_date", as: Date.self),
            status: status,
            holdID: try row.decode(column: "hold_id", as: Int?.self),
            range: try TakenRange(row: row),
            seriesID: try row.decode(column: "series_id", as: Int?.self)
        )
    }
}

/// The database answered in a way its schema rules out; a server fault, never the client's.
struct DatabaseInvariantViolation: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
