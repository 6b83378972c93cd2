import Foundation

/// The one owner of stock: every change to a resource's ``Stock`` is a method here, and nothing else
/// changes it. Each method is atomic (one conditional statement, or one transaction that locks the
/// resource first), so a thousand copies of any of them running at once on several servers can never take
/// a unit that is not there, give one back twice, or let a user past a resource's ``UserLimits``.
///
/// Units move between three states: available, held (by a ``Hold``) and booked (by an active
/// ``Booking``). `book` moves available → booked; `hold` available → held; `confirm` held → booked;
/// `release` and expiry held → available; `cancel` booked → available; `resize` changes the total and the
/// available units by the same delta. Expired holds are reclaimed (held → available, status `expired`) by
/// whichever movement on their resource comes first, or by ``reclaimLapsedHolds(at:limit:)``; until then
/// every read counts their units as available, so nothing depends on when that happens.
///
/// A resource's waiting list is part of its stock: whenever units come back (a cancellation, a released
/// or lapsed hold, a declined or lapsed offer, a larger total) or the list or the limits change, the same
/// transaction serves the list (``WaitlistServing``): each entry that gets units gets an offer, a hold
/// reserved for its user, before the transaction commits: units that fit an entry never reach anyone
/// else first. Units that fit nobody waiting may be booked, but no entry is overtaken by more than its own
/// quantity; after that, the free units gather for it and bookings and holds are refused
/// (``AppError/reservedForWaitlist(available:waiting:)``).
///
/// Every change here writes its event (``EventStore``) in its own transaction: one for what `actor` did,
/// and one more for each thing the service did on its own account in that transaction (a lapsed hold
/// reclaimed, `hold.expired`; an offer made to the next in line, `waitlist.offered`; both by `system`).
public protocol Inventory: Sendable {
    /// Stocks a new resource; nil when its name is taken (regardless of case).
    func add(name: String, description: String, stock: Stock, limits: UserLimits, schedule: Schedule?, at date: Date,
             by actor: EventActor) async throws -> Resource?

    /// Takes `quantity` units of `resource` and records them as a booking of `userID`, in one atomic step,
    /// completing `key` (if any) in the same step. A dated resource takes them in every period of `range`
    /// (read with its schedule under its lock) or in none; a pool takes no range.
    ///
    /// Takes of one resource arriving while one is in flight may be served together by one transaction
    /// (in arrival order); each is decided as it would be alone at its turn, and one's refusal never
    /// affects another's outcome.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/insufficientQuantity(requested:available:)``,
    ///   ``AppError/insufficientInPeriods(requested:available:periods:)``, ``AppError/invalidPeriod(reason:)``,
    ///   ``AppError/perBookingLimit(max:)`` or ``AppError/perUserLimit(max:remaining:)`` (nothing is taken then);
    ///   ``AppError/idempotencyKeyInProgress`` when the key's lease was lost before the take.
    func book(_ quantity: Int, of resource: ResourceReference, in range: PeriodRange?, for userID: Int, at now: Date,
              completing key: IdempotencyCompletion?) async throws -> Booking

    /// Books every occurrence of a series (``Schedule/occurrences(of:repeating:now:)``) in one transaction
    /// under the resource's lock, each decided as a booking of its own at its turn (the units, limits and
    /// waiting list it meets are what the occurrences before it left), completing `key` in the same step.
    /// `fail`: all or none; `skip`: those that fit, the others reported in the answer.
    ///
    /// - Throws: ``AppError/seriesRefused(_:)`` (nothing is booked then); ``AppError/resourceNotFound``;
    ///   ``AppError/invalidPeriod(reason:)`` for a pool or a first occurrence that cannot be taken;
    ///   ``AppError/invalidField(field:reason:)`` for a rule the resource cannot serve.
    func bookSeries(_ request: SeriesRequest, at now: Date, completing key: IdempotencyCompletion?) async throws -> BookingSeries

    /// Cancels a series' active occurrences that begin at or after `from` (all: nil), each exactly once
    /// (of concurrent cancels, each occurrence is cancelled by one), in one transaction. `ownerID` limits it
    /// to that user's series (nil: anyone's). Answers the series as it then stands, and how many
    /// occurrences this call cancelled.
    ///
    /// - Throws: ``AppError/seriesNotFound`` (also for someone else's series).
    func cancelSeries(seriesID: Int, ownerID: Int?, from: PeriodRange?, at now: Date, by actor: EventActor) async throws
        -> (series: BookingSeries, cancelled: Int)

    /// Holds `quantity` units of `resource` for `userID` until `expiresAt`; the same batching and refusals
    /// as ``book(_:of:in:for:at:completing:)``.
    func hold(_ quantity: Int, of resource: ResourceReference, in range: PeriodRange?, for userID: Int, until expiresAt: Date, at now: Date,
              completing key: IdempotencyCompletion?) async throws -> Hold

    /// Turns a hold into a booking, exactly once: of any number of concurrent confirms of one hold, one
    /// creates the booking and the others return it (`created` false). A hold that has expired is
    /// confirmed only if its units can be taken again now (within the owner's limits). `ownerID` limits it
    /// to that user's holds (nil: anyone's).
    ///
    /// - Throws: ``AppError/holdNotFound`` (also for someone else's hold); ``AppError/holdNotActive`` for a
    ///   released hold; ``AppError/holdExpired(available:)``; ``AppError/perUserLimit(max:remaining:)``.
    func confirm(holdID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> (booking: Booking, created: Bool)

    /// Releases a held hold's units, exactly once. Releasing an offer declines it.
    ///
    /// - Throws: ``AppError/holdNotFound``; ``AppError/holdNotActive`` for a confirmed, released or expired hold.
    func release(holdID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> Hold

    /// Cancels an active booking and gives its units back, exactly once: of any number of concurrent
    /// cancels of one booking, one succeeds. `ownerID` limits it to that user's bookings (nil: anyone's).
    ///
    /// - Throws: ``AppError/bookingNotFound`` (also for someone else's booking);
    ///   ``AppError/bookingAlreadyCancelled``.
    func cancel(bookingID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> Booking

    /// Renames, describes, limits or resizes a resource in one transaction under its lock (a new total
    /// moves its available units by the same delta), then serves its waiting list, which the new total or
    /// limits may let through.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/resourceNameTaken``;
    ///   ``AppError/totalBelowBooked(booked:held:)`` when the new total is below the units booked plus
    ///   held (nothing changes then); ``AppError/resourceHasActiveBookings(count:)``,
    ///   ``AppError/resourceHasActiveHolds(count:)`` or ``AppError/resourceHasWaitingList(count:)`` for a new
    ///   schedule while anything is taken or waiting.
    func update(resourceID: Int, _ edit: ResourceEdit, at now: Date, by actor: EventActor) async throws -> Resource

    /// Sets a dated resource's capacity on one local date (every period of it: `total` units, 0 closes it;
    /// nil: the resource's own again), under its lock, moving each period's available units by the same delta.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/invalidPeriod(reason:)`` for a pool;
    ///   ``AppError/totalBelowBooked(booked:held:)`` when a period of the date has more taken (nothing changes then).
    func setCapacity(resourceID: Int, on date: LocalDate, to total: Int?, at now: Date, by actor: EventActor) async throws

    /// Removes a resource and its history. No booking or hold can start on it meanwhile.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/resourceHasActiveBookings(count:)``;
    ///   ``AppError/resourceHasActiveHolds(count:)``; ``AppError/resourceHasWaitingList(count:)``.
    func remove(resourceID: Int, at now: Date, by actor: EventActor) async throws

    // MARK: Waiting lists

    /// Puts `userID` at the end of the resource's waiting list for `quantity` units (in every period of
    /// `range`, on a dated resource, read as a booking's), then serves the list
    /// in the same transaction: if the units are free for it now, the entry answers `offered`.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/alreadyWaiting``; ``AppError/invalidField(field:reason:)``
    ///   when the resource could never serve it (more than its total); ``AppError/perBookingLimit(max:)``;
    ///   ``AppError/perUserLimit(max:remaining:)``.
    func join(_ quantity: Int, of resourceID: Int, in range: PeriodRange?, for userID: Int, at now: Date) async throws -> WaitlistEntry

    /// Takes an open entry off the list, exactly once: `left` when `removal` is nil, else `removed` with
    /// its reason. A pending offer is released, and its units pass on in the same transaction.
    ///
    /// - Throws: ``AppError/waitlistEntryNotFound`` (also for someone else's); ``AppError/waitlistEntryEnded``.
    func leave(entryID: Int, ownerID: Int?, removal: WaitlistRemoval?, at now: Date, by actor: EventActor) async throws -> WaitlistEntry

    /// Declines an entry's pending offer, exactly once: its units pass on in the same transaction.
    ///
    /// - Throws: ``AppError/waitlistEntryNotFound``; ``AppError/noPendingOffer``.
    func decline(entryID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> WaitlistEntry

    /// Reclaims the units of up to `limit` holds that expired by `now` and are still stored as held;
    /// returns how many. Tidying only: reads count those units as available already.
    /// `offersOnly`: only offers, whose units the waiting list is owed at once (cheap to call before a read).
    func reclaimLapsedHolds(at now: Date, limit: Int, offersOnly: Bool) async throws -> Int
}

/// The changes of ``Inventory/update(resourceID:_:at:by:)``, validated; nil fields stay as they are.
public struct ResourceEdit: Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var total: Int?
    /// `.some(nil)`: no limit from now on.
    public var maxPerUser: Int??
    public var maxPerBooking: Int??
    /// `.some(nil)`: a pool from now on.
    public var schedule: Schedule??

    public init(name: String? = nil, description: String? = nil, total: Int? = nil, maxPerUser: Int?? = nil, maxPerBooking: Int?? = nil,
                schedule: Schedule?? = nil) {
        self.schedule = schedule
        self.name = name
        self.description = description
        self.total = total
        self.maxPerUser = maxPerUser
        self.maxPerBooking = maxPerBooking
    }

    /// The fields it changes, as the API names them.
    public var fields: [String] {
        var fields: [String] = []
        if name != nil { fields.append("name") }
        if description != nil { fields.append("description") }
        if total != nil { fields.append("total_quantity") }
        if maxPerUser != nil { fields.append("max_per_user") }
        if maxPerBooking != nil { fields.append("max_per_booking") }
        if schedule != nil { fields.append("schedule") }
        return fields
    }
}

/// An admin's removal of a waiting-list entry.
public struct WaitlistRemoval: Sendable, Equatable {
    public let reason: String
    public let adminID: Int

    public init(reason: String, adminID: Int) {
        self.reason = reason
        self.adminID = adminID
    }
}
