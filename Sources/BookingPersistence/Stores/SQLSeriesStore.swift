import BookingDomain
import Foundation
import SQLKit

struct SQLSeriesStore: SeriesStore {
    let session: SQLSession

    func find(id: Int) async throws -> BookingSeries? {
        try await assemble(session.sql.raw("""
            SELECT \(Self.columns) FROM booking_series s JOIN resources r ON r.id = s.resource_id WHERE s.id = \(bind: id)
            """).all()).first
    }

    func list(userID: Int?, limit: Int, offset: Int) async throws -> [BookingSeries] {
        let whose: SQLQueryString = userID.map { " WHERE s.user_id = \(bind: $0)" } ?? ""
        return try await assemble(session.sql.raw("""
            SELECT \(Self.columns) FROM booking_series s JOIN resources r ON r.id = s.resource_id\(whose)
            ORDER BY s.id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
            """).all())
    }

    static let columns: SQLQueryString = """
        s.id, s.resource_id, r.name AS resource_name, s.user_id, s.purchase_quantity, s.rrule, s.on_conflict, s.skipped, s.created_at
        """

    /// A skipped occurrence as `booking_series.skipped` keeps it: where it falls in the series, and its range as written.
    struct Skipped: Codable {
        let position: Int
        let start: String
        let end: String
    }

    /// The series of `rows` with their occurrences: the skipped ones at their places, the booked ones (the
    /// series' bookings in time order) in the places between.
    private func assemble(_ rows: [any SQLRow]) async throws -> [BookingSeries] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode(column: "id", as: Int.self) }
        var bookings: [Int: [BookingSeries.Occurrence]] = [:]
        for row in try await session.sql.raw("""
            SELECT id, series_id, status, period_start, period_end FROM bookings
            WHERE series_id IN (\(LockedStock.list(Set(ids)))) ORDER BY series_id, period_from
            """).all() {
            let status = try row.decode(column: "status", as: String.self) == Booking.Status.active.rawValue
            bookings[try row.decode(column: "series_id", as: Int.self), default: []].append(.init(
                start: try row.decode(column: "period_start", as: String?.self) ?? "", end: try row.decode(column: "period_end", as: String?.self) ?? "",
                bookingID: try row.decode(column: "id", as: Int.self), status: status ? .booked : .cancelled))
        }
        return try rows.map { row in
            let id = try row.decode(column: "id", as: Int.self)
            let skipped = try JSONDecoder().decode([Skipped].self, from: Data(try row.decode(column: "skipped", as: String.self).utf8))
            var booked = (bookings[id] ?? [])[...], occurrences: [BookingSeries.Occurrence] = []
            var skips = skipped.sorted { $0.position < $1.position }[...]
            while !booked.isEmpty || !skips.isEmpty {
                if let skip = skips.first, skip.position == occurrences.count || booked.isEmpty {
                    occurrences.append(.init(start: skip.start, end: skip.end, bookingID: nil, status: .skipped))
                    skips = skips.dropFirst()
                } else {
                    occurrences.append(booked.removeFirst())
                }
            }
            guard let onConflict = BookingSeries.OnConflict(rawValue: try row.decode(column: "on_conflict", as: String.self)) else {
                throw DatabaseInvariantViolation("unknown on_conflict")
            }
            return BookingSeries(
                id: id, resourceID: try row.decode(column: "resource_id", as: Int.self),
                resourceName: try row.decode(column: "resource_name", as: String.self), userID: try row.decode(column: "user_id", as: Int.self),
                quantity: try row.decode(column: "purchase_quantity", as: Int.self), rrule: try row.decode(column: "rrule", as: String.self),
                onConflict: onConflict, createdAt: try row.decode(column: "created_at", as: Date.self), occurrences: occurrences)
        }
    }
}

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
