import Foundation

/// Booking and cancelling: the rules around a booking (validation, Idempotency-Keys, who may see and
/// cancel what). The stock itself moves only in the ``Inventory``.
public struct BookingService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let metrics: ServiceMetrics
    let writes: WriteThrottle

    /// How long an Idempotency-Key is remembered.
    public static let idempotencyKeyLifetime = IdempotentRequests.keyLifetime
    /// How long a claimed key stays locked before a retry may take it over (its holder presumably died).
    public static let idempotencyLease = IdempotentRequests.lease

    public init(storage: any Storage, clock: any WallClock, metrics: ServiceMetrics, writes: WriteThrottle) {
        self.storage = storage
        self.clock = clock
        self.metrics = metrics
        self.writes = writes
    }

    /// A booking, and whether it was created earlier under the same Idempotency-Key.
    public struct Outcome: Sendable {
        public let booking: Booking
        public let replayed: Bool
    }

    /// Which bookings a listing shows, by status.
    public enum StatusFilter: String, Sendable, CaseIterable {
        case active, cancelled, all
    }

    public typealias Query = ListQuery<StatusFilter>

    /// Books `quantity` units for `user`: the inventory takes the stock and records the booking in one
    /// atomic step, so concurrent bookings can never take more than there is.
    ///
    /// With an `idempotencyKey`, a retry of the same request returns the original booking and takes no
    /// more stock; the key is recorded in the booking's own transaction, so "booked" and "key used"
    /// cannot disagree, whichever replica answers the retry.
    public func book(
        _ reference: ResourceReference?, quantity: Int?, in range: PeriodRange? = nil, for user: User, idempotencyKey: String? = nil
    ) async throws -> Outcome {
        do {
            let outcome = try await bookUncounted(reference, quantity: quantity, in: range, for: user, idempotencyKey: idempotencyKey)
            if !outcome.replayed { metrics.booked(outcome.booking) }
            return outcome
        } catch {
            metrics.refusedBooking(error)
            throw error
        }
    }

    private func bookUncounted(
        _ reference: ResourceReference?, quantity: Int?, in range: PeriodRange?, for user: User, idempotencyKey: String?
    ) async throws -> Outcome {
        let (reference, quantity) = try Self.validate(reference, quantity)
        let now = clock.now()
        let outcome = try await IdempotentRequests(storage: storage, clock: clock).run(
            key: idempotencyKey, userID: user.id, requestHash: Self.fingerprint(reference, quantity, range),
            create: { key in
                try await writes.spend(for: user, at: now)
                return try await storage.inventory.book(quantity, of: reference, in: range, for: user.id, at: now, completing: key)
            },
            replay: { id in
                guard let booking = try await storage.bookings.find(id: id) else { throw AppError.bookingNotFound }
                return booking
            }
        )
        return Outcome(booking: outcome.record, replayed: outcome.replayed)
    }

    static func validate(_ reference: ResourceReference?, _ quantity: Int?, field: String = "purchase_quantity") throws(AppError) -> (ResourceReference, Int) {
        guard let reference else {
            throw AppError.invalidField(field: "resource", reason: "resource is required (an id or a name)")
        }
        if case .name(let name) = reference {
            _ = try Validate.required(name, field: "resource")
            // No resource has a longer name, so there is nothing to find.
            guard name.unicodeScalars.count <= Validate.resourceNameLength.upperBound else { throw AppError.resourceNotFound }
        }
        return (reference, try Validate.positiveQuantity(quantity, field: field))
    }

    /// What makes two bookings under one Idempotency-Key "the same": the resource as referenced, the
    /// quantity and the range (a pool's fingerprint is what it was before ranges existed).
    static func fingerprint(_ reference: ResourceReference, _ quantity: Int, _ range: PeriodRange? = nil) -> String {
        let resource = switch reference {
        case .id(let id): "id:\(id)|\(quantity)"
        case .name(let name): "name:\(name.resourceNameKey)|\(quantity)"
        }
        return (resource + (range.map { "|\($0)" } ?? "")).sha256Hex
    }

    /// Cancels a booking and returns its units, exactly once. Someone else's booking is "not found".
    public func cancel(bookingID: Int, by user: User) async throws -> Booking {
        let cancelled = try await storage.inventory.cancel(bookingID: bookingID, ownerID: user.ownerScope, at: clock.now(), by: .user(user.id))
        metrics.cancelled(cancelled)
        return cancelled
    }

    /// One booking, if it is the caller's or the caller is an admin; someone else's is "not found".
    public func booking(id: Int, visibleTo user: User) async throws -> Booking {
        guard let booking = try await storage.bookings.find(id: id), user.mayAccess(ownerID: booking.userID) else {
            throw AppError.bookingNotFound
        }
        return booking
    }

    /// The caller's bookings, newest first; an admin sees everyone's, or those of `owner`. (A user asking
    /// for someone else's sees their own.) `standalone`: only those that are no occurrence of a series.
    public func bookings(visibleTo user: User, _ query: Query, owner: Int? = nil, standalone: Bool = false) async throws -> [Booking] {
        var filter = try Self.filter(visibleTo: user, query, owner: owner)
        filter.standalone = standalone
        return try await storage.bookings.list(filter)
    }

    /// The same listing as ``bookings(visibleTo:_:owner:)``, written as the API's JSON array by the
    /// database when it can (``BookingStore/listJSON(_:)``); nil when it cannot.
    public func bookingsJSON(visibleTo user: User, _ query: Query, owner: Int? = nil) async throws -> String? {
        try await storage.bookings.listJSON(try Self.filter(visibleTo: user, query, owner: owner))
    }

    private static func filter(visibleTo user: User, _ query: Query, owner: Int?) throws -> BookingFilter {
        try Validate.page(limit: query.limit, offset: query.offset)
        let status: Booking.Status? = switch query.status {
        case .active: .active
        case .cancelled: .cancelled
        case .all: nil
        }
        return BookingFilter(userID: user.isAdmin ? owner : user.id, resourceID: query.resourceID, status: status,
                             limit: query.limit, offset: query.offset)
    }
}
