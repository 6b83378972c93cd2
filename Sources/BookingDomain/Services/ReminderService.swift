import Foundation

/// Reminders before a hold expires (`HOLD_REMINDER_BEFORE`) and before a dated booking starts
/// (`BOOKING_REMINDER_BEFORE`), as events (`hold.expiring`, `booking.starting`) that webhooks may follow
/// and the mail relay turns into e-mail; run in the background on every server.
public struct ReminderService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let holdBefore: TimeInterval
    let bookingBefore: TimeInterval

    public static let holdBounds: ClosedRange<TimeInterval> = 5...3600
    public static let bookingBounds: ClosedRange<TimeInterval> = 60...(7 * 86_400)

    public init(storage: any Storage, clock: any WallClock, holdBefore: TimeInterval, bookingBefore: TimeInterval) {
        self.storage = storage
        self.clock = clock
        self.holdBefore = holdBefore
        self.bookingBefore = bookingBefore
    }

    /// Writes the reminders that are due; answers how many.
    @discardableResult
    public func runOnce() async throws -> Int {
        let now = clock.now()
        return try await storage.reminders.remindHolds(before: holdBefore, at: now, limit: 500)
            + storage.reminders.remindBookings(before: bookingBefore, at: now, limit: 500)
    }
}
