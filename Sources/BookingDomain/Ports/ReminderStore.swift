import Foundation

/// Due-time reminders. Each claim is one transaction that marks what it reminds of (`reminded_at`) and
/// writes its events, claiming rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL: of any number of
/// servers running it at once, each hold or booking is reminded of once. What changed state meanwhile
/// (a confirmed, released or lapsed hold; a cancelled booking) is simply not due any more.
public protocol ReminderStore: Sendable {
    /// Writes `hold.expiring` for up to `limit` holds still held that expire after `now` and within
    /// `before`, were taken for at least twice `before`, and have had no reminder; answers how many.
    func remindHolds(before: TimeInterval, at now: Date, limit: Int) async throws -> Int
    /// Writes `booking.starting` for up to `limit` active dated bookings that start after `now` and within
    /// `before`, were made before that window opened, and have had no reminder; answers how many.
    func remindBookings(before: TimeInterval, at now: Date, limit: Int) async throws -> Int
}
