import BookingDomain
import Foundation
import SQLKit

struct SQLEventStore: EventStore {
    let storage: SQLStorage
    private var session: SQLSession { storage.session }

    func append(_ event: NewEvent) async throws {
        try await session.write { sql in try await sql.raw(Self.insert(event)).run() }
    }

    /// The INSERT of one event, for a change's own transaction or statement.
    static func insert(_ event: NewEvent) -> SQLQueryString {
        insert([event])
    }

    /// One INSERT of `events` (at least one), numbered in this order.
    static func insert(_ events: [NewEvent]) -> SQLQueryString {
        let rows: [SQLQueryString] = events.map { event in
            let subject = event.subject
            return """
                (\(bind: event.type.rawValue), \(bind: event.occurredAt), \(bind: event.actor.userID), \(bind: subject.resourceID),
                 \(bind: subject.resourceName), \(bind: subject.bookingID), \(bind: subject.holdID), \(bind: subject.waitlistEntryID),
                 \(bind: subject.userID), \(bind: event.quantity), \(bind: event.stock?.total), \(bind: event.stock?.available),
                 \(bind: event.stock?.held), \(bind: EventValue.json(event.details)))
                """
        }
        return """
            INSERT INTO events (type, occurred_at, actor_id, resource_id, resource_name, booking_id, hold_id, waitlist_entry_id,
                                user_id, quantity, total, available, held, details)
            VALUES \(rows.joined(separator: ", "))
            """
    }

    func sequence() async throws -> Int {
        try await storage.withTransaction { tx in
            let sql = tx.session.sql
            // The row lock makes numberings take turns on every server; reading the unnumbered events
            // only after it, each numbering sees every event the one before it committed.
            guard let last = try await sql.raw("SELECT last_id FROM event_feed WHERE only_row = 1\(tx.session.lockRows)")
                .first()?.decode(column: "last_id", as: Int.self) else { return 0 }
            let numbered = try await sql.raw("""
                UPDATE events SET id = \(bind: last) + numbering.n
                FROM (SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS n FROM events WHERE id IS NULL ORDER BY seq LIMIT 5000) AS numbering
                WHERE events.seq = numbering.seq
                RETURNING 1 AS numbered
                """).all().count
            if numbered > 0 {
                try await sql.raw("UPDATE event_feed SET last_id = last_id + \(bind: numbered) WHERE only_row = 1").run()
            }
            return numbered
        }
    }

    func head() async throws -> Int {
        try await session.sql.raw("SELECT last_id FROM event_feed WHERE only_row = 1").first()?.decode(column: "last_id", as: Int.self) ?? 0
    }

    func list(_ filter: EventFilter) async throws -> [Event] {
        var conditions: [SQLQueryString] = ["e.id > \(bind: filter.after)"]
        if let through = filter.through { conditions.append("e.id <= \(bind: through)") }
        if let types = filter.types {
            guard !types.isEmpty else { return [] }
            conditions.append("e.type IN (\(types.sorted { $0.rawValue < $1.rawValue }.map { "\(bind: $0.rawValue)" as SQLQueryString }.joined(separator: ", ")))")
        }
        if let resourceID = filter.resourceID { conditions.append("e.resource_id = \(bind: resourceID)") }
        return try await session.sql.raw("""
            SELECT e.id, e.type, e.occurred_at, e.actor_id, e.resource_id, e.resource_name, e.booking_id, e.hold_id,
                   e.waitlist_entry_id, e.user_id, e.quantity, e.total, e.available, e.held, e.details,
                   u.username AS user_username, u.email AS user_email
            FROM events e LEFT JOIN users u ON u.id = e.user_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY e.id\(unsafeRaw: filter.newestFirst ? " DESC" : "") LIMIT \(bind: filter.limit)
            """).all().compactMap(Event.init(row:))
    }

    /// By id, from the oldest: every event before the first that occurred at or after `date` (ids follow
    /// time, give or take the moments a transaction takes, so this keeps an event at most that much
    /// longer), found by walking the id index from its start, never by scanning the table.
    func purge(before date: Date, limit: Int) async throws -> Int {
        let keep = try await session.sql.raw("""
            SELECT MIN(id) AS id FROM events WHERE id IS NOT NULL AND occurred_at >= \(bind: date)
            """).first()?.decode(column: "id", as: Int?.self)
        let bound: Int
        if let keep { bound = keep } else { bound = try await head() + 1 }
        return try await session.deleteBatch(from: "events", key: ["seq"], where: "id IS NOT NULL AND id < \(bind: bound)", limit: limit)
    }
}

extension Event {
    /// nil for a type this version does not know (written by a newer one).
    init?(row: any SQLRow) throws {
        guard let type = EventType(rawValue: try row.decode(column: "type", as: String.self)) else { return nil }
        let userID = try row.decode(column: "user_id", as: Int?.self)
        let total = try row.decode(column: "total", as: Int?.self)
        var user: EventUser?
        if let userID, let username = try row.decode(column: "user_username", as: String?.self) {
            user = EventUser(id: userID, username: username, email: try row.decode(column: "user_email", as: String?.self) ?? "")
        }
        let details = try row.decode(column: "details", as: String.self)
        self.init(
            id: try row.decode(column: "id", as: Int.self),
            type: type,
            occurredAt: try row.decode(column: "occurred_at", as: Date.self),
            actor: EventActor(userID: try row.decode(column: "actor_id", as: Int?.self)),
            subject: EventSubject(
                resourceID: try row.decode(column: "resource_id", as: Int?.self),
                resourceName: try row.decode(column: "resource_name", as: String?.self),
                bookingID: try row.decode(column: "booking_id", as: Int?.self),
                holdID: try row.decode(column: "hold_id", as: Int?.self),
                waitlistEntryID: try row.decode(column: "waitlist_entry_id", as: Int?.self),
                userID: userID),
            quantity: try row.decode(column: "quantity", as: Int?.self),
            stock: try total.map { total in
                Stock(total: total, available: try row.decode(column: "available", as: Int.self), held: try row.decode(column: "held", as: Int.self))
            },
            details: (try? JSONDecoder().decode([String: EventValue].self, from: Data(details.utf8))) ?? [:],
            user: user)
    }
}
