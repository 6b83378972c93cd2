import Foundation

/// Calendar feeds: each user's one secret feed token, kept as its SHA-256, and the bookings a feed lists.
public protocol CalendarFeedStore: Sendable {
    /// Gives `userID` a feed with the token whose hash is `tokenHash`, replacing any it had.
    func replace(userID: Int, tokenHash: String, at now: Date) async throws
    /// The active user whose feed has this token hash; nil when none has (or the user is deactivated).
    func user(tokenHash: String) async throws -> User?
    /// The bookings of dated resources a feed lists: `userID`'s (or, with `resourceID`, that resource's),
    /// those whose periods end at or after `since` (and every future one), newest first, at most `limit`.
    func bookings(userID: Int?, resourceID: Int?, since: Date, limit: Int) async throws -> [Booking]
}
