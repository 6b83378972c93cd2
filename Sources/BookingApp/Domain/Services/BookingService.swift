import Foundation

/// The one place where bookings take and return stock.
public struct BookingService: Sendable {
    let database: DatabaseHandle
    let metrics: ServiceMetrics

    /// How long an Idempotency-Key is remembered.
    public static let idempotencyKeyLifetime: TimeInterval = 24 * 3600
    /// How long a claimed key stays locked before a retry may take it over (its holder presumably died).
    public static let idempotencyLease: TimeInterval = 10
    static let idempotencyKeyLength = 1...255

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

    /// Books `quantity` units for `user`. The stock is taken by one conditional UPDATE in the same
    /// transaction as the booking's insert, so concurrent bookings can never take more than there is.
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
            return Outcome(booking: try await insertBooking(reference, quantity, for: user, key: nil), replayed: false)
        }
        guard Self.idempotencyKeyLength.contains(idempotencyKey.utf8.count),
              idempotencyKey.utf8.allSatisfy({ (0x21...0x7e).contains($0) })
        else {
            throw AppError.invalidField(field: "Idempotency-Key", reason: "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }

        let requestHash = Self.fingerprint(reference, quantity)
        let now = Date()
        let claim = try await database.write { sql in
            try await IdempotencyStore(sql: sql).claim(
                userID: user.id, key: idempotencyKey, requestHash: requestHash, now: now,
                staleBefore: now.addingTimeInterval(-Self.idempotencyLease),
                expiredBefore: now.addingTimeInterval(-Self.idempotencyKeyLifetime)
            )
        }
        switch claim {
        case .completed(let bookingID, let storedHash):
            guard storedHash == requestHash else { throw AppError.idempotencyKeyReused }
            guard let booking = try await BookingStore(sql: database.sql).find(id: bookingID) else {
                throw AppError.bookingNotFound
            }
            return Outcome(booking: booking, replayed: true)
        case .inProgress(let storedHash):
            throw storedHash == requestHash ? AppError.idempotencyKeyInProgress : AppError.idempotencyKeyReused
        case .claimed(let token):
            do {
                let key = (user: user.id, key: idempotencyKey, token: token)
                return Outcome(booking: try await insertBooking(reference, quantity, for: user, key: key), replayed: false)
            } catch {
                // Free the key so that a retry runs afresh. Should the booking have committed after all
                // (a failure while committing), the release matches no row: a completed key is never freed.
                try? await database.write { sql in
                    try await IdempotencyStore(sql: sql).release(userID: user.id, key: idempotencyKey, token: token)
                }
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
            guard name.count <= Validate.resourceNameLength.upperBound else { throw AppError.resourceNotFound }
        }
        return (reference, try Validate.positiveQuantity(quantity, field: "purchase_quantity"))
    }

    /// What makes two requests under one Idempotency-Key "the same": the resource as referenced and the quantity.
    private static func fingerprint(_ reference: ResourceReference, _ quantity: Int) -> String {
        switch reference {
        case .id(let id): "id:\(id)|\(quantity)".sha256Hex
        case .name(let name): "name:\(name.uniquenessKey)|\(quantity)".sha256Hex
        }
    }

    /// The booking itself: take the stock, insert the row, and record the idempotency key if there is one,
    /// all in one transaction.
    private func insertBooking(
        _ reference: ResourceReference, _ quantity: Int, for user: User, key: (user: Int, key: String, token: String)?
    ) async throws -> Booking {
        // The hot path: by id, no key, on PostgreSQL, the whole booking is one statement.
        if key == nil, case .id(let resourceID) = reference, !database.sql.isSQLite {
            if let booking = try await BookingStore(sql: database.sql)
                .insertTakingStock(quantity, from: resourceID, userID: user.id, at: Date()) {
                return booking
            }
            guard let current = try await ResourceStore(sql: database.sql).find(reference) else { throw AppError.resourceNotFound }
            throw AppError.insufficientQuantity(requested: quantity, available: current.availableQuantity)
        }
        return try await database.transaction { sql in
            let resources = ResourceStore(sql: sql)
            guard let resource = try await resources.take(quantity, from: reference) else {
                guard let current = try await resources.find(reference) else { throw AppError.resourceNotFound }
                throw AppError.insufficientQuantity(requested: quantity, available: current.availableQuantity)
            }
            let booking = try await BookingStore(sql: sql).insert(resource: resource, userID: user.id, quantity: quantity, at: Date())
            if let key, try await !IdempotencyStore(sql: sql).complete(userID: key.user, key: key.key, token: key.token, bookingID: booking.id) {
                // Our lease expired and another request took the key over: let that one do the booking.
                throw AppError.idempotencyKeyInProgress
            }
            return booking
        }
    }

    /// Cancels a booking and returns its units, exactly once: the status flips by compare-and-swap, and
    /// only the request that flipped it gives the units back. Someone else's booking is "not found".
    public func cancel(bookingID: Int, by user: User) async throws -> Booking {
        let cancelled = try await database.transaction { sql in
            let bookings = BookingStore(sql: sql)
            let ownerID = user.isAdmin ? nil : user.id
            if let released = try await bookings.cancel(id: bookingID, ownerID: ownerID, at: Date()) {
                try await ResourceStore(sql: sql).giveBack(released.quantity, to: released.resourceID)
            } else {
                guard let booking = try await bookings.find(id: bookingID), ownerID == nil || booking.userID == ownerID else {
                    throw AppError.bookingNotFound
                }
                throw AppError.bookingAlreadyCancelled
            }
            guard let cancelled = try await bookings.find(id: bookingID) else { throw AppError.bookingNotFound }
            return cancelled
        }
        metrics.cancelled(cancelled)
        return cancelled
    }

    /// One booking, if it is the caller's or the caller is an admin; someone else's is "not found".
    public func booking(id: Int, visibleTo user: User) async throws -> Booking {
        guard let booking = try await BookingStore(sql: database.sql).find(id: id), user.isAdmin || booking.userID == user.id else {
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
        let filter = BookingStore.Filter(
            userID: user.isAdmin ? nil : user.id, resourceID: query.resourceID, status: status,
            limit: query.limit, offset: query.offset
        )
        return try await BookingStore(sql: database.sql).list(filter)
    }
}
