import BookingDomain
import Foundation
import SQLKit

struct SQLReminderStore: ReminderStore {
    let storage: SQLStorage

    /// `column - seconds` in the dialect's arithmetic of timestamps.
    private func minus(_ column: SQLQueryString, _ seconds: TimeInterval, in session: SQLSession) -> SQLQueryString {
        session.dialect == .postgres ? "\(column) - make_interval(secs => \(bind: seconds))" : "\(column) - \(bind: seconds)"
    }

    func remindHolds(before: TimeInterval, at now: Date, limit: Int) async throws -> Int {
        try await storage.withTransaction { tx in
            let session = tx.session
            let rows = try await session.sql.raw("""
                UPDATE holds SET reminded_at = \(bind: now)
                WHERE id IN (
                    SELECT id FROM holds
                    WHERE status = 'held' AND reminded_at IS NULL AND expires_at > \(bind: now)
                      AND expires_at <= \(bind: now.addingTimeInterval(before)) AND \(minus("expires_at", 2 * before, in: session)) >= created_at
                    ORDER BY expires_at LIMIT \(bind: limit)\(session.skipLocked))
                RETURNING id, resource_id, user_id, quantity, expires_at, period_start, period_end
                """).all()
            try await write(rows, type: .holdExpiring, subject: "hold_id", at: now, in: tx)
            return rows.count
        }
    }

    func remindBookings(before: TimeInterval, at now: Date, limit: Int) async throws -> Int {
        try await storage.withTransaction { tx in
            let session = tx.session
            let rows = try await session.sql.raw("""
                UPDATE bookings SET reminded_at = \(bind: now)
                WHERE id IN (
                    SELECT id FROM bookings
                    WHERE status = 'active' AND reminded_at IS NULL AND starts_at IS NOT NULL AND starts_at > \(bind: now)
                      AND starts_at <= \(bind: now.addingTimeInterval(before)) AND booking_date < \(minus("starts_at", before, in: session))
                    ORDER BY starts_at LIMIT \(bind: limit)\(session.skipLocked))
                RETURNING id, resource_id, user_id, purchase_quantity AS quantity, starts_at, period_start, period_end
                """).all()
            try await write(rows, type: .bookingStarting, subject: "booking_id", at: now, in: tx)
            return rows.count
        }
    }

    /// One event per reminded record, with its resource's name, range and time zone and (for a hold) expiry.
    private func write(_ rows: [any SQLRow], type: EventType, subject: String, at now: Date, in tx: SQLStorage) async throws {
        guard !rows.isEmpty else { return }
        var names: [Int: String] = [:], zones: [Int: String] = [:]
        let resourceIDs = Set(try rows.map { try $0.decode(column: "resource_id", as: Int.self) })
        for row in try await tx.session.sql.raw("SELECT id, name, schedule FROM resources WHERE id IN (\(LockedStock.list(resourceIDs)))").all() {
            let id = try row.decode(column: "id", as: Int.self)
            names[id] = try row.decode(column: "name", as: String.self)
            zones[id] = try row.decode(column: "schedule", as: String?.self).map { try Schedule(stored: $0).zone.identifier }
        }
        let events = try rows.map { row -> NewEvent in
            let id = try row.decode(column: "id", as: Int.self), resourceID = try row.decode(column: "resource_id", as: Int.self)
            var details: [String: EventValue] = [:]
            if let start = try row.decode(column: "period_start", as: String?.self), let end = try row.decode(column: "period_end", as: String?.self) {
                details["start"] = .string(start)
                details["end"] = .string(end)
            }
            if let zone = zones[resourceID] { details["time_zone"] = .string(zone) }
            if type == .holdExpiring { details["expires_at"] = .date(try row.decode(column: "expires_at", as: Date.self)) }
            let userID = try row.decode(column: "user_id", as: Int.self)
            return NewEvent(type, at: now, by: .system,
                            subject: EventSubject(resourceID: resourceID, resourceName: names[resourceID], bookingID: subject == "booking_id" ? id : nil,
                                                  holdID: subject == "hold_id" ? id : nil, userID: userID),
                            quantity: try row.decode(column: "quantity", as: Int.self), details: details)
        }
        try await tx.session.sql.raw(SQLEventStore.insert(events)).run()
    }
}
