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
