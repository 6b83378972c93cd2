/// Who gets the units that come back to a resource with a waiting list. The ``Inventory`` applies it,
/// under the resource's lock, at the end of every transaction that frees units or changes the list.
///
/// Entries are considered in the order they joined. An entry whose quantity fits in the units not yet
/// offered gets an offer. One that does not fit keeps its place and is skipped for now, and the units go
/// on to entries behind it that fit, or to a booking or hold by someone not on the list; but each entry
/// can be overtaken by at most its own quantity: once that many units have gone past it while it waited
/// (`passedUnits`: offers to entries behind it, and bookings and holds), it becomes a barrier, and
/// nobody behind it and nobody off the list gets units until it has been served. Every unit that comes
/// back then stays free for it (``blocksPublic(quantity:passedUnits:of:mayTake:)``), so it gets its
/// offer as soon as enough units have come back: it cannot starve.
///
/// Units that fit an entry are always offered to the list before anyone else can take them (every
/// transaction that frees units serves the list before it commits), so the list cannot be jumped.
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
    /// `free` units are not yet offered and its user `mayTake` them under the resource's limits, on a
    /// resource of `total` units with `limits`.
    public static func decide(quantity: Int, passedUnits: Int, free: Int, total: Int, limits: UserLimits, mayTake: Bool) -> Decision {
        guard canServe(quantity: quantity, total: total, limits: limits), mayTake else { return .skip }
        if quantity <= free { return .offer }
        return passedUnits >= quantity ? .stop : .skip
    }

    /// Whether a resource of `total` units with `limits` could ever serve an entry of `quantity` units.
    public static func canServe(quantity: Int, total: Int, limits: UserLimits) -> Bool {
        quantity <= total && quantity <= (limits.maxPerBooking ?? quantity)
    }

    /// Whether a waiting entry keeps the resource's free units from bookings and holds: a barrier does
    /// (it has been overtaken by its quantity already, and the units are gathering for it). An entry that
    /// fits the free units has been offered them before anyone could ask, so only barriers are left to check.
    public static func blocksPublic(quantity: Int, passedUnits: Int, total: Int, limits: UserLimits, mayTake: Bool) -> Bool {
        canServe(quantity: quantity, total: total, limits: limits) && mayTake && passedUnits >= quantity
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
