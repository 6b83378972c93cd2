import Foundation

/// Calendar feeds: each user's one secret feed token, kept as its SHA-256, and the bookings a feed lists.
public protocol CalendarFeedStore: Sendable {
    /// Gives `userID` a feed with the token whose hash is `tokenHash`, replacing any it had.
    func replace(userID: Int, tokenHash: String, at now: Date) async throws
    /// The active user whose feed has this token hash; nil when none has (or the user is deactivated).
    func user(tokenHash: String) async throws -> User?
    /// The bookings of dated resources a feed lists: `userID`'s (or, with `resourceID`, that resource's),
    /// those whose periods end at or after `since` (and every future one), newest first, at most `limit`.
    func entries(userID: Int?, resourceID: Int?, since: Date, limit: Int) async throws -> [FeedEntry]
}

/// A booking as a calendar feed lists it: what it is, when (its stored period keys), and its state.
public struct FeedEntry: Sendable, Equatable {
    public let bookingID: Int
    public let resourceName: String
    public let quantity: Int
    public let cancelled: Bool
    /// When it last changed (its cancellation, else its booking), in seconds since 1970.
    public let changedAt: Int64
    public let kind: PeriodKey.Kind
    /// Its period keys, `to` exclusive: day numbers for days and nights, UTC minutes for slots.
    public let from: Int64
    public let to: Int64

    public init(bookingID: Int, resourceName: String, quantity: Int, cancelled: Bool, changedAt: Int64, kind: PeriodKey.Kind, from: Int64, to: Int64) {
        self.bookingID = bookingID
        self.resourceName = resourceName
        self.quantity = quantity
        self.cancelled = cancelled
        self.changedAt = changedAt
        self.kind = kind
        self.from = from
        self.to = to
    }
}
