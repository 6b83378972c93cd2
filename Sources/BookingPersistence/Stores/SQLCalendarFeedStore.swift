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

    func bookings(userID: Int?, resourceID: Int?, since: Date, limit: Int) async throws -> [Booking] {
        var conditions: [SQLQueryString] = []
        if let userID { conditions.append("b.user_id = \(bind: userID)") }
        if let resourceID { conditions.append("b.resource_id = \(bind: resourceID)") }
        // A period key's index is a day number for days and nights, a minute for slots; the day before
        // `since`'s UTC date is kept too, since a local day may end a day later in UTC.
        let seconds = Int64(since.timeIntervalSince1970.rounded(.down)), day = (seconds >= 0 ? seconds : seconds - 86_399) / 86_400
        conditions.append("""
            ((b.period_kind = \(bind: PeriodKey.Kind.slot.rawValue) AND b.period_to > \(bind: seconds / 60))
             OR (b.period_kind IN (\(bind: PeriodKey.Kind.day.rawValue), \(bind: PeriodKey.Kind.night.rawValue)) AND b.period_to >= \(bind: day)))
            """)
        return try await session.sql.raw("""
            SELECT \(Booking.columns) FROM bookings b JOIN resources r ON r.id = b.resource_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY b.id DESC LIMIT \(bind: limit)
            """).all().map(Booking.init(row:))
    }
}
