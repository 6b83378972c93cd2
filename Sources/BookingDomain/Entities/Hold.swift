import Foundation

/// Units of a resource set aside for one user until `expiresAt`, while they fill in a form or pay. The
/// units leave `available` at once; the hold then ends in exactly one way: confirmed into a booking,
/// released by its owner, or expired.
///
/// Expiry is exact: from `expiresAt` on, the hold is expired and its units count as available everywhere,
/// whether or not anything has written that down yet. The stored status says `held` until the inventory
/// reclaims the units (at the next stock movement on the resource, or the expiry job); ``status(at:)``
/// is what a client is told.
public struct Hold: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case held, confirmed, released, expired
    }

    public let id: Int
    public let resourceID: Int
    public let resourceName: String
    public let userID: Int
    public let quantity: Int
    /// As stored: `held` until the hold ends or its units are reclaimed after expiry.
    public let storedStatus: Status
    public let createdAt: Date
    public let expiresAt: Date
    /// The booking a confirmed hold became.
    public let bookingID: Int?
    /// The waiting-list entry this hold is the offer of; nil for a hold the user asked for.
    public let waitlistEntryID: Int?
    /// The periods it holds units in, for a dated resource; nil for a pool.
    public let range: TakenRange?

    public init(id: Int, resourceID: Int, resourceName: String, userID: Int, quantity: Int, storedStatus: Status,
                createdAt: Date, expiresAt: Date, bookingID: Int?, waitlistEntryID: Int? = nil, range: TakenRange? = nil) {
        self.id = id
        self.range = range
        self.resourceID = resourceID
        self.resourceName = resourceName
        self.userID = userID
        self.quantity = quantity
        self.storedStatus = storedStatus
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.bookingID = bookingID
        self.waitlistEntryID = waitlistEntryID
    }

    /// The status at `now`: a hold still stored as held is expired from `expiresAt` on.
    public func status(at now: Date) -> Status {
        storedStatus == .held && Self.hasLapsed(expiresAt: expiresAt, at: now) ? .expired : storedStatus
    }

    /// The one definition of expiry, which the SQL mirrors (`expires_at <= now`): a hold blocks up to, not
    /// including, its `expiresAt`.
    public static func hasLapsed(expiresAt: Date, at now: Date) -> Bool {
        expiresAt <= now
    }
}
