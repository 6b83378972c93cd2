import Foundation

/// Waiting lists: a user waits for units of a resource, and when units come back the list is served
/// before anyone else, in the order people joined (``WaitlistServing``), with offers: holds reserved for
/// the user for `WAITLIST_OFFER_TTL`, confirmed like any hold. The rules around entries (validation, who
/// may see and end what) live here; the list is served and the stock moves only in the ``Inventory``.
public struct WaitlistService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let metrics: ServiceMetrics
    /// Joins count against `USER_WRITES_PER_MINUTE`; nil where nothing is joined (settling offers).
    let writes: WriteThrottle?

    /// `WAITLIST_OFFER_TTL`'s bounds: 30 seconds to 7 days.
    public static let offerTTLBounds: ClosedRange<TimeInterval> = 30...604_800
    /// The longest reason an admin may give for removing an entry.
    public static let reasonLength = 1...500

    public init(storage: any Storage, clock: any WallClock, metrics: ServiceMetrics, writes: WriteThrottle? = nil) {
        self.storage = storage
        self.clock = clock
        self.metrics = metrics
        self.writes = writes
    }

    /// Which entries a listing shows, by status as at the moment of the request; `open` is waiting or offered.
    public enum StatusFilter: String, Sendable, CaseIterable {
        case waiting, offered, accepted, declined, expired, left, removed, open, all

        var statuses: [WaitlistEntry.Status]? {
            switch self {
            case .all: nil
            case .open: [.waiting, .offered]
            default: WaitlistEntry.Status(rawValue: rawValue).map { [$0] }
            }
        }
    }

    public typealias Query = ListQuery<StatusFilter>

    /// Puts `user` on the resource's waiting list for `quantity` units. If units are free for the entry
    /// right now (nobody ahead of it can use them), it gets its offer at once and answers `offered`.
    public func join(resourceID: Int, quantity: Int?, in range: PeriodRange? = nil, for user: User) async throws -> WaitlistEntry {
        let quantity = try Validate.positiveQuantity(quantity, field: "quantity")
        let now = clock.now()
        try await writes?.spend(for: user, at: now)
        let entry = try await storage.inventory.join(quantity, of: resourceID, in: range, for: user.id, at: now)
        metrics.waitlist(.joined)
        return entry
    }

    /// Takes an entry off the list. Its owner leaves it (`left`); an admin taking someone else's entry
    /// off removes it (`removed`) and must say why. A pending offer is declined and its units pass on.
    public func leave(entryID: Int, by user: User, reason: String?) async throws -> WaitlistEntry {
        let now = clock.now()
        try await settleLapsedOffers(at: now)
        guard let entry = try await storage.waitlist.find(id: entryID), user.mayAccess(ownerID: entry.userID) else {
            throw AppError.waitlistEntryNotFound
        }
        // A reason, when given, must be one that could be stored; an admin taking someone else's entry must give one.
        if let reason {
            try Validate.noControlCharacters(reason, field: "reason")
            guard Self.reasonLength.contains(reason.unicodeScalars.count) else {
                throw AppError.invalidField(field: "reason", reason: "reason must be 1 to \(Self.reasonLength.upperBound) characters")
            }
        }
        var removal: WaitlistRemoval?
        if entry.userID != user.id {
            guard let reason else {
                throw AppError.invalidField(field: "reason", reason: "reason is required to remove someone else's entry")
            }
            removal = WaitlistRemoval(reason: reason, adminID: user.id)
        }
        let ended = try await storage.inventory.leave(entryID: entryID, ownerID: entry.userID, removal: removal, at: now, by: .user(user.id))
        metrics.waitlist(removal == nil ? .left : .removed)
        return ended
    }

    /// Declines the pending offer of an entry of the caller's own; its units pass on.
    public func decline(entryID: Int, by user: User) async throws -> WaitlistEntry {
        try await storage.inventory.decline(entryID: entryID, ownerID: user.id, at: clock.now(), by: .user(user.id))
    }

    /// One entry, if it is the caller's or the caller is an admin; someone else's is "not found".
    public func entry(id: Int, visibleTo user: User) async throws -> WaitlistEntry {
        try await settleLapsedOffers(at: clock.now())
        guard let entry = try await storage.waitlist.find(id: id), user.mayAccess(ownerID: entry.userID) else {
            throw AppError.waitlistEntryNotFound
        }
        return entry
    }

    /// The caller's entries, newest first; an admin sees everyone's, or those of `owner`.
    public func entries(visibleTo user: User, _ query: Query, owner: Int? = nil) async throws -> [WaitlistEntry] {
        try await list(query, userID: user.isAdmin ? owner : user.id, order: .newestFirst)
    }

    /// A resource's list in the order it is served (an admin's view): by default the open entries.
    public func line(resourceID: Int, _ query: Query) async throws -> [WaitlistEntry] {
        guard try await storage.resources.find(.id(resourceID), at: clock.now()) != nil else { throw AppError.resourceNotFound }
        var query = query
        query.resourceID = resourceID
        return try await list(query, userID: nil, order: .line)
    }

    private func list(_ query: Query, userID: Int?, order: WaitlistFilter.Order) async throws -> [WaitlistEntry] {
        try Validate.page(limit: query.limit, offset: query.offset)
        let now = clock.now()
        try await settleLapsedOffers(at: now)
        return try await storage.waitlist.list(WaitlistFilter(
            userID: userID, resourceID: query.resourceID, statuses: query.status.statuses, order: order,
            limit: query.limit, offset: query.offset
        ), at: now)
    }

    /// Passes on the units of offers that have lapsed by `now`, so a read shows the list as it is at
    /// `now`: the next entry already offered, exactly from the lapsed offer's `expires_at` on. One
    /// indexed read when nothing has lapsed.
    func settleLapsedOffers(at now: Date) async throws {
        _ = try await storage.inventory.reclaimLapsedHolds(at: now, limit: 100, offersOnly: true)
    }

    /// What a client sees of `entry` now.
    public func status(of entry: WaitlistEntry) -> WaitlistEntry.Status {
        entry.status(at: clock.now())
    }
}
