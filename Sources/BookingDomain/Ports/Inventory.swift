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
public protocol Inventory: Sendable {
    /// Stocks a new resource; nil when its name is taken (regardless of case).
    func add(name: String, description: String, stock: Stock, limits: UserLimits, at date: Date) async throws -> Resource?

    /// Takes `quantity` units of `resource` and records them as a booking of `userID`, in one atomic step.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/insufficientQuantity(requested:available:)``,
    ///   ``AppError/perBookingLimit(max:)`` or ``AppError/perUserLimit(max:remaining:)`` (nothing is taken then).
    func book(_ quantity: Int, of resource: ResourceReference, for userID: Int, at now: Date) async throws -> Booking

    /// Holds `quantity` units of `resource` for `userID` until `expiresAt`; the same refusals as ``book(_:of:for:at:)``.
    func hold(_ quantity: Int, of resource: ResourceReference, for userID: Int, until expiresAt: Date, at now: Date) async throws -> Hold

    /// Turns a hold into a booking, exactly once: of any number of concurrent confirms of one hold, one
    /// creates the booking and the others return it (`created` false). A hold that has expired is
    /// confirmed only if its units can be taken again now (within the owner's limits). `ownerID` limits it
    /// to that user's holds (nil: anyone's).
    ///
    /// - Throws: ``AppError/holdNotFound`` (also for someone else's hold); ``AppError/holdNotActive`` for a
    ///   released hold; ``AppError/holdExpired(available:)``; ``AppError/perUserLimit(max:remaining:)``.
    func confirm(holdID: Int, ownerID: Int?, at now: Date) async throws -> (booking: Booking, created: Bool)

    /// Releases a held hold's units, exactly once.
    ///
    /// - Throws: ``AppError/holdNotFound``; ``AppError/holdNotActive`` for a confirmed, released or expired hold.
    func release(holdID: Int, ownerID: Int?, at now: Date) async throws -> Hold

    /// Cancels an active booking and gives its units back, exactly once: of any number of concurrent
    /// cancels of one booking, one succeeds. `ownerID` limits it to that user's bookings (nil: anyone's).
    ///
    /// - Throws: ``AppError/bookingNotFound`` (also for someone else's booking);
    ///   ``AppError/bookingAlreadyCancelled``.
    func cancel(bookingID: Int, ownerID: Int?, at now: Date) async throws -> Booking

    /// Sets a resource's total; its available units move by the same delta.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/totalBelowBooked(booked:held:)`` when the new
    ///   total is below the units booked plus held (nothing changes then).
    func resize(resourceID: Int, total: Int, at now: Date) async throws -> Resource

    /// Removes a resource and its history. No booking or hold can start on it meanwhile.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/resourceHasActiveBookings(count:)``;
    ///   ``AppError/resourceHasActiveHolds(count:)``.
    func remove(resourceID: Int, at now: Date) async throws

    /// Reclaims the units of up to `limit` holds that expired by `now` and are still stored as held;
    /// returns how many. Tidying only: reads count those units as available already.
    func reclaimLapsedHolds(at now: Date, limit: Int) async throws -> Int
}
