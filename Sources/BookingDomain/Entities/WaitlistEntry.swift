import Foundation

/// A user's place in a resource's waiting list: they want `quantity` units when some come back.
///
/// An entry is `waiting` until the list serves it an offer (`offered`), a hold of its units reserved for
/// the user for `WAITLIST_OFFER_TTL`; it then ends in exactly one way: the offer is confirmed (`accepted`),
/// declined (`declined`), or lapses (`expired`). A waiting or offered entry can also be left by its owner
/// (`left`) or removed by an admin with a reason (`removed`); a pending offer then passes on. Entries are
/// served in the order they joined; see `WaitlistService` for who gets units that come back.
public struct WaitlistEntry: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case waiting, offered, accepted, declined, expired, left, removed

        /// Waiting or holding an offer: the user has a place in the list.
        public var isOpen: Bool { self == .waiting || self == .offered }
    }

    /// The pending or past offer of an entry: the hold that reserves its units.
    public struct Offer: Sendable, Equatable {
        public let holdID: Int
        public let expiresAt: Date

        public init(holdID: Int, expiresAt: Date) {
            self.holdID = holdID
            self.expiresAt = expiresAt
        }
    }

    public let id: Int
    public let resourceID: Int
    public let resourceName: String
    public let userID: Int
    public let quantity: Int
    /// As stored: `offered` until the offer is confirmed or declined, or its lapse is written down.
    public let storedStatus: Status
    /// 1 for the next entry in line; nil unless waiting.
    public let position: Int?
    public let createdAt: Date
    public let offer: Offer?
    /// When it stopped being open (accepted, declined, expired, left, removed).
    public let endedAt: Date?
    /// Why an admin removed it.
    public let removedReason: String?
    /// The periods it waits for, on a dated resource; nil for a pool.
    public let range: TakenRange?

    public init(id: Int, resourceID: Int, resourceName: String, userID: Int, quantity: Int, storedStatus: Status,
                position: Int?, createdAt: Date, offer: Offer?, endedAt: Date?, removedReason: String?, range: TakenRange? = nil) {
        self.id = id
        self.range = range
        self.resourceID = resourceID
        self.resourceName = resourceName
        self.userID = userID
        self.quantity = quantity
        self.storedStatus = storedStatus
        self.position = position
        self.createdAt = createdAt
        self.offer = offer
        self.endedAt = endedAt
        self.removedReason = removedReason
    }

    /// The status at `now`: an offer that has lapsed is `expired` from its `expiresAt` on, as holds are.
    public func status(at now: Date) -> Status {
        guard storedStatus == .offered, let offer, Hold.hasLapsed(expiresAt: offer.expiresAt, at: now) else { return storedStatus }
        return .expired
    }
}
