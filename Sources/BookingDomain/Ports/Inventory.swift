import Foundation

/// The one owner of stock: every change to a resource's ``Stock`` is a method here, and nothing else
/// changes it. Each method is atomic (one conditional statement, or one transaction), so a thousand copies
/// of any of them running at once on several servers can never take a unit that is not there or give one
/// back twice.
///
/// The stock of a resource is a ``Stock`` (`total`, `available`); every unit that is not available is
/// booked. The movements are expressed on that state, not on tables, so new kinds of units extend it
/// rather than rewrite it: holds add `held` (take moves available → held, confirm held → booked, release
/// and expiry held → available), and capacity per time slot keys the stock by resource and slot instead
/// of resource (docs/architecture.md).
public protocol Inventory: Sendable {
    /// Stocks a new resource with `stock`; nil when its name is taken (regardless of case).
    func add(name: String, description: String, stock: Stock, at date: Date) async throws -> Resource?

    /// Takes `quantity` units of `resource` and records them as a booking of `userID`, in one atomic step.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/insufficientQuantity(requested:available:)``
    ///   when fewer than `quantity` are available (nothing is taken then).
    func book(_ quantity: Int, of resource: ResourceReference, for userID: Int, at date: Date) async throws -> Booking

    /// Cancels an active booking and gives its units back, exactly once: of any number of concurrent
    /// cancels of one booking, one succeeds. `ownerID` limits it to that user's bookings (nil: anyone's).
    ///
    /// - Throws: ``AppError/bookingNotFound`` (also for someone else's booking);
    ///   ``AppError/bookingAlreadyCancelled``.
    func cancel(bookingID: Int, ownerID: Int?, at date: Date) async throws -> Booking

    /// Sets a resource's total; its available units move by the same delta.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/totalBelowBooked(booked:)`` when the new total
    ///   is below the units booked (nothing changes then).
    func resize(resourceID: Int, total: Int) async throws -> Resource

    /// Removes a resource and its booking history. No booking can start on it meanwhile.
    ///
    /// - Throws: ``AppError/resourceNotFound``; ``AppError/resourceHasActiveBookings(count:)``.
    func remove(resourceID: Int) async throws
}
