/// Who gets the units that come back to a resource with a waiting list. The ``Inventory`` applies it,
/// under the resource's lock, at the end of every transaction that frees units or changes the list.
///
/// Entries are considered in the order they joined. An entry whose quantity fits in the units not yet
/// offered gets an offer. One that does not fit keeps its place and is skipped for now, and the units go
/// on to entries behind it that fit; but each entry can be overtaken by at most its own quantity: once
/// entries behind it have been offered that many units while it waited (`passedUnits`), it becomes a
/// barrier, and nobody behind it gets an offer until it has been served. Every unit that comes back then
/// stays free for it (the public cannot take it either, see ``blocksPublic(quantity:of:)``), so it gets
/// its offer as soon as enough units have come back: it cannot starve.
///
/// An entry that cannot be served by the resource as it is now (its quantity above the total or above
/// `max_per_booking`, after an admin lowered them) is skipped and is never a barrier, so it cannot block
/// the list; nor is an entry whose user may not take the units under `max_per_user` right now.
public enum WaitlistServing {
    public enum Decision: Sendable, Equatable {
        /// Offer the entry its units.
        case offer
        /// Leave it waiting and go on to the next.
        case skip
        /// A barrier that does not fit yet: offer nothing more now.
        case stop
    }

    /// What to do with a waiting entry of `quantity` units that has been overtaken by `passedUnits`, when
    /// `free` units are not yet offered and its user `mayTake` them under the resource's `max_per_user`.
    public static func decide(quantity: Int, passedUnits: Int, free: Int, of resource: Resource, mayTake: Bool) -> Decision {
        guard canServe(quantity: quantity, of: resource), mayTake else { return .skip }
        if quantity <= free { return .offer }
        return passedUnits >= quantity ? .stop : .skip
    }

    /// Whether the resource as it is could ever serve an entry of `quantity` units.
    public static func canServe(quantity: Int, of resource: Resource) -> Bool {
        quantity <= resource.stock.total && quantity <= (resource.limits.maxPerBooking ?? quantity)
    }

    /// Whether a waiting entry of `quantity` units keeps the resource's free units from the public: it
    /// does while the resource could ever serve it, so the list cannot be jumped.
    public static func blocksPublic(quantity: Int, of resource: Resource) -> Bool {
        canServe(quantity: quantity, of: resource)
    }
}

/// What a committed transaction of the ``Inventory`` did on its own account, beyond what its caller
/// asked: holds it found lapsed and wrote down, and the waiting list's offers. Reported once it has
/// committed, for the metrics.
public struct StockEvents: Sendable, Equatable {
    public var holdsExpired = 0
    public var offersMade = 0
    public var offersAccepted = 0
    public var offersDeclined = 0
    /// Lapsed offers (also counted in `holdsExpired`: an offer is a hold).
    public var offersExpired = 0

    public init() {}

    public var isEmpty: Bool { self == StockEvents() }
}
