import Foundation

/// Booking and cancelling: the rules around a booking (validation, Idempotency-Keys, who may see and
/// cancel what). The stock itself moves only in the ``Inventory``.
public struct BookingService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let metrics: ServiceMetrics

    /// How long an Idempotency-Key is remembered.
    public static let idempotencyKeyLifetime: TimeInterval = 24 * 3600
    /// How long a claimed key stays locked before a retry may take it over (its holder presumably died).
    public static let idempotencyLease: TimeInterval = 10
    static let idempotencyKeyLength = 1...255

    public init(storage: any Storage, clock: any WallClock, metrics: ServiceMetrics) {
        self.storage = storage
        self.clock = clock
        self.metrics = metrics
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

    public struct Query: Sendable {
        public var resourceID: Int?
        public var status: StatusFilter
        public var limit: Int
        public var offset: Int

        public init(resourceID: Int? = nil, status: StatusFilter = .active, limit: Int = Paging.defaultSize, offset: Int = 0) {
            self.resourceID = resourceID
            self.status = status
            self.limit = limit
            self.offset = offset
        }
    }

    /// Books `quantity` units for `user`: the inventory takes the stock and records the booking in one
    /// atomic step, so concurrent bookings can never take more than there is.
    ///
    /// With an `idempotencyKey`, a retry of the same request returns the original booking and takes no
    /// more stock; the key is recorded in the booking's own transaction, so "booked" and "key used"
    /// cannot disagree, whichever replica answers the retry.
    public func book(
        _ reference: ResourceReference?, quantity: Int?, for user: User, idempotencyKey: String? = nil
    ) async throws -> Outcome {
        do {
            let outcome = try await bookUncounted(reference, quantity: quantity, for: user, idempotencyKey: idempotencyKey)
            if !outcome.replayed { metrics.booked(outcome.booking) }
            return outcome
        } catch {
            metrics.refusedBooking(error)
            throw error
        }
    }

    private func bookUncounted(
        _ reference: ResourceReference?, quantity: Int?, for user: User, idempotencyKey: String?
    ) async throws -> Outcome {
        let (reference, quantity) = try Self.validate(reference, quantity)
        guard let idempotencyKey else {
            let booking = try await storage.inventory.book(quantity, of: reference, for: user.id, at: clock.now())
            return Outcome(booking: booking, replayed: false)
        }
        guard idempotencyKey.isVisibleASCII(lengths: Self.idempotencyKeyLength) else {
            throw AppError.invalidField(field: "Idempotency-Key", reason: "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }

        let requestHash = Self.fingerprint(reference, quantity)
        let now = clock.now()
        let claim = try await storage.idempotencyKeys.claim(
            userID: user.id, key: idempotencyKey, requestHash: requestHash, now: now,
            staleBefore: now.addingTimeInterval(-Self.idempotencyLease),
            expiredBefore: now.addingTimeInterval(-Self.idempotencyKeyLifetime)
        )
        switch claim {
        case .completed(let bookingID, let storedHash):
            guard storedHash == requestHash else { throw AppError.idempotencyKeyReused }
            guard let booking = try await storage.bookings.find(id: bookingID) else { throw AppError.bookingNotFound }
            return Outcome(booking: booking, replayed: true)
        case .inProgress(let storedHash):
            throw storedHash == requestHash ? AppError.idempotencyKeyInProgress : AppError.idempotencyKeyReused
        case .claimed(let token):
            do {
                let booking = try await storage.transaction { tx in
                    let booking = try await tx.inventory.book(quantity, of: reference, for: user.id, at: now)
                    guard try await tx.idempotencyKeys.complete(userID: user.id, key: idempotencyKey, token: token, bookingID: booking.id) else {
                        // Our lease expired and another request took the key over: let that one do the booking.
                        throw AppError.idempotencyKeyInProgress
                    }
                    return booking
                }
                return Outcome(booking: booking, replayed: false)
            } catch {
                // Free the key so that a retry runs afresh. Should the booking have committed after all
                // (a failure while committing), the release matches no row: a completed key is never freed.
                try? await storage.idempotencyKeys.release(userID: user.id, key: idempotencyKey, token: token)
                throw error
            }
        }
    }

    private static func validate(_ reference: ResourceReference?, _ quantity: Int?) throws(AppError) -> (ResourceReference, Int) {
        guard let reference else {
            throw AppError.invalidField(field: "resource", reason: "resource is required (an id or a name)")
        }
        if case .name(let name) = reference {
            _ = try Validate.required(name, field: "resource")
            // No resource has a longer name, so there is nothing to find.
            guard name.unicodeScalars.count <= Validate.resourceNameLength.upperBound else { throw AppError.resourceNotFound }
        }
        return (reference, try Validate.positiveQuantity(quantity, field: "purchase_quantity"))
    }

    /// What makes two requests under one Idempotency-Key "the same": the resource as referenced and the quantity.
    private static func fingerprint(_ reference: ResourceReference, _ quantity: Int) -> String {
        switch reference {
        case .id(let id): "id:\(id)|\(quantity)".sha256Hex
        case .name(let name): "name:\(name.resourceNameKey)|\(quantity)".sha256Hex
        }
    }

    /// Cancels a booking and returns its units, exactly once. Someone else's booking is "not found".
    public func cancel(bookingID: Int, by user: User) async throws -> Booking {
        let cancelled = try await storage.inventory.cancel(bookingID: bookingID, ownerID: user.isAdmin ? nil : user.id, at: clock.now())
        metrics.cancelled(cancelled)
        return cancelled
    }

    /// One booking, if it is the caller's or the caller is an admin; someone else's is "not found".
    public func booking(id: Int, visibleTo user: User) async throws -> Booking {
        guard let booking = try await storage.bookings.find(id: id), user.isAdmin || booking.userID == user.id else {
            throw AppError.bookingNotFound
        }
        return booking
    }

    /// The caller's bookings, newest first; an admin sees everyone's.
    public func bookings(visibleTo user: User, _ query: Query) async throws -> [Booking] {
        try Validate.page(limit: query.limit, offset: query.offset)
        let status: Booking.Status? = switch query.status {
        case .active: .active
        case .cancelled: .cancelled
        case .all: nil
        }
        return try await storage.bookings.list(BookingFilter(
            userID: user.isAdmin ? nil : user.id, resourceID: query.resourceID, status: status,
            limit: query.limit, offset: query.offset
        ))
    }
}
