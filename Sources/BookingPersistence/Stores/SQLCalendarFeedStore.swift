import BookingDomain
import Foundation
import SQLKit

struct SQLCalendarFeedStore: CalendarFeedStore {
    let session: SQLSession

    func replace(userID: Int, tokenHash: String, at now: Date) async throws {
        try await session.write { sql in
            try await sql.raw("""
                INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES (\(bind: userID), \(bind: tokenHash), \(bind: now))
                ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at
                """).run()
        }
    }

    func user(tokenHash: String) async throws -> User? {
        try await session.sql.raw("""
            SELECT \(User.columns(of: "u")) FROM calendar_feeds f JOIN users u ON u.id = f.user_id
            WHERE f.token_hash = \(bind: tokenHash) AND u.is_active = \(bind: true)
            """).first().map(User.init(row:))
    }

    /// The database writes the page's rows as one text (numbers only: `id,resource,quantity,cancelled,changed,
    /// kind,from,to` joined by `;`), so a feed of thousands of bookings is one value to read rather than a
    /// row each; the resources' names come in a second statement.
    func entries(userID: Int?, resourceID: Int?, since: Date, limit: Int) async throws -> [FeedEntry] {
        var conditions: [SQLQueryString] = []
        if let userID { conditions.append("b.user_id = \(bind: userID)") }
        if let resourceID { conditions.append("b.resource_id = \(bind: resourceID)") }
        // A period key's index is a day number for days and nights, a minute for slots; the day before
        // `since`'s UTC date is kept too, since a local day may end a day later in UTC.
        let seconds = Int64(since.timeIntervalSince1970.rounded(.down)), day = LocalDate.split(seconds).date.dayNumber
        conditions.append("""
            ((b.period_kind = \(bind: PeriodKey.Kind.slot.rawValue) AND b.period_to > \(bind: seconds / 60))
             OR (b.period_kind IN (\(bind: PeriodKey.Kind.day.rawValue), \(bind: PeriodKey.Kind.night.rawValue)) AND b.period_to >= \(bind: day)))
            """)
        let postgres = session.dialect == .postgres
        let changed: SQLQueryString = postgres ? "CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(b.cancelled_at, b.booking_date))) AS BIGINT)"
                                               : "CAST(COALESCE(b.cancelled_at, b.booking_date) AS INTEGER)"
        let row: SQLQueryString = """
            CAST(b.id AS TEXT) || ',' || CAST(b.resource_id AS TEXT) || ',' || CAST(b.purchase_quantity AS TEXT) || ',' ||
            CASE WHEN b.status = 'cancelled' THEN '1' ELSE '0' END || ',' || CAST(\(changed) AS TEXT) || ',' ||
            CAST(b.period_kind AS TEXT) || ',' || CAST(b.period_from AS TEXT) || ',' || CAST(b.period_to AS TEXT)
            """
        let text = try await session.sql.raw("""
            SELECT \(unsafeRaw: postgres ? "string_agg" : "group_concat")(\(row), ';') AS entries
            FROM (SELECT * FROM bookings b WHERE \(conditions.joined(separator: " AND ")) ORDER BY b.id DESC LIMIT \(bind: limit)) b
            """).first()?.decode(column: "entries", as: String?.self) ?? ""
        var parsed: [(id: Int, resource: Int, fields: [Int64])] = []
        for entry in text.utf8.split(separator: UInt8(ascii: ";")) {
            let fields = entry.split(separator: UInt8(ascii: ",")).compactMap { Int64(String(decoding: $0, as: UTF8.self)) }
            guard fields.count == 8 else { throw DatabaseInvariantViolation("a feed entry of \(fields.count) fields") }
            parsed.append((Int(fields[0]), Int(fields[1]), fields))
        }
        guard !parsed.isEmpty else { return [] }
        var names: [Int: String] = [:]
        for row in try await session.sql.raw("""
            SELECT id, name FROM resources WHERE id IN (\(LockedStock.list(Set(parsed.map(\.resource)))))
            """).all() {
            names[try row.decode(column: "id", as: Int.self)] = try row.decode(column: "name", as: String.self)
        }
        return try parsed.sorted { $0.id > $1.id }.map { entry in
            let fields = entry.fields
            guard let kind = PeriodKey.Kind(rawValue: Int(fields[5])) else { throw DatabaseInvariantViolation("unknown period kind \(fields[5])") }
            return FeedEntry(bookingID: entry.id, resourceName: names[entry.resource] ?? "", quantity: Int(fields[2]), cancelled: fields[3] == 1,
                             changedAt: fields[4], kind: kind, from: fields[6], to: fields[7])
        }
    }
}
