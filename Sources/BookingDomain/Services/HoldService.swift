import Foundation

/// Holds: units set aside for a user for a while, then confirmed into a booking, released, or left to
/// expire. The rules around them (validation, lifetimes, Idempotency-Keys, who may see and change what)
/// live here; the stock moves only in the ``Inventory``.
public struct HoldService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let metrics: ServiceMetrics
    /// The longest a hold lasts (`HOLD_TTL`), and how long it lasts unless the request asks for less.
    let maximumTTL: TimeInterval
    let writes: WriteThrottle

    /// `HOLD_TTL`'s bounds: 30 seconds to 24 hours.
    public static let ttlBounds: ClosedRange<TimeInterval> = 30...86_400
    /// What a request's `ttl_seconds` may say; above the configured maximum it is capped to it.
    public static let requestedTTLBounds = 1...86_400

    public init(storage: any Storage, clock: any WallClock, metrics: ServiceMetrics, maximumTTL: TimeInterval, writes: WriteThrottle) {
        self.storage = storage
        self.clock = clock
        self.metrics = metrics
        self.maximumTTL = maximumTTL
        self.writes = writes
    }

    /// A hold, and whether it was created earlier under the same Idempotency-Key.
    public struct Outcome: Sendable {
        public let hold: Hold
        public let replayed: Bool
    }

    /// A confirmed hold's booking, and whether this request created it.
    public struct Confirmation: Sendable {
        public let booking: Booking
        public let created: Bool
    }

    /// Which holds a listing shows, by status as at the moment of the request.
    public enum StatusFilter: String, Sendable, CaseIterable {
        case held, confirmed, released, expired, all
    }

    public typealias Query = ListQuery<StatusFilter>

    /// Holds `quantity` units for `user` for `ttlSeconds` (at most, and by default, `HOLD_TTL`).
    public func hold(
        _ reference: ResourceReference?, quantity: Int?, in range: PeriodRange? = nil, ttlSeconds: Int?, for user: User,
        idempotencyKey: String? = nil
    ) async throws -> Outcome {
        do {
            let (reference, quantity) = try BookingService.validate(reference, quantity, field: "quantity")
            let ttl = try ttl(requested: ttlSeconds)
            let outcome = try await IdempotentRequests(storage: storage, clock: clock).run(
                key: idempotencyKey, userID: user.id,
                requestHash: "hold|" + BookingService.fingerprint(reference, quantity, range) + "|\(ttlSeconds.map(String.init) ?? "default")",
                create: { key in
                    // The clock is read once the key is claimed, so a hold made after waiting for it lasts its full time.
                    let now = clock.now()
                    try await writes.spend(for: user, at: now)
                    return try await storage.inventory.hold(quantity, of: reference, in: range, for: user.id, until: now.addingTimeInterval(ttl),
                                                            at: now, completing: key)
                },
                replay: { id in
                    guard let hold = try await storage.holds.find(id: id) else { throw AppError.holdNotFound }
                    return hold
                }
            )
            if !outcome.replayed { metrics.held(outcome.record) }
            return Outcome(hold: outcome.record, replayed: outcome.replayed)
        } catch {
            metrics.refusedHold(error)
            throw error
        }
    }

    private func ttl(requested: Int?) throws(AppError) -> TimeInterval {
        guard let requested else { return maximumTTL }
        guard Self.requestedTTLBounds.contains(requested) else {
            throw .invalidField(field: "ttl_seconds", reason: "ttl_seconds must be an integer from 1 to \(Self.requestedTTLBounds.upperBound)")
        }
        return min(TimeInterval(requested), maximumTTL)
    }

    /// Confirms a hold of the caller's (an admin: anyone's) into a booking, exactly once.
    public func confirm(holdID: Int, by user: User) async throws -> Confirmation {
        let confirmed = try await storage.inventory.confirm(holdID: holdID, ownerID: user.ownerScope, at: clock.now(), by: .user(user.id))
        if confirmed.created { metrics.confirmed(confirmed.booking) }
        return Confirmation(booking: confirmed.booking, created: confirmed.created)
    }

    /// Releases a held hold's units, exactly once.
    public func release(holdID: Int, by user: User) async throws -> Hold {
        let released = try await storage.inventory.release(holdID: holdID, ownerID: user.ownerScope, at: clock.now(), by: .user(user.id))
        metrics.released(released)
        return released
    }

    /// One hold, if it is the caller's or the caller is an admin; someone else's is "not found".
    public func hold(id: Int, visibleTo user: User) async throws -> Hold {
        try await settleLapsedOffers()
        guard let hold = try await storage.holds.find(id: id), user.mayAccess(ownerID: hold.userID) else {
            throw AppError.holdNotFound
        }
        return hold
    }

    /// The caller's holds, newest first; an admin sees everyone's, or those of `owner`.
    public func holds(visibleTo user: User, _ query: Query, owner: Int? = nil) async throws -> [Hold] {
        try Validate.page(limit: query.limit, offset: query.offset)
        try await settleLapsedOffers()
        return try await storage.holds.list(HoldFilter(
            userID: user.isAdmin ? owner : user.id, resourceID: query.resourceID, status: Hold.Status(rawValue: query.status.rawValue),
            limit: query.limit, offset: query.offset
        ), at: clock.now())
    }

    /// The expiry job: reclaims the units of expired holds still stored as held, in batches, then reads
    /// the units held across all resources for the `booking_units_held` gauge. Tidying only: every read
    /// already counts expired holds' units as available. Returns how many holds it expired.
    public func tidy(batch: Int = 500) async throws -> Int {
        var total = 0
        while !Task.isCancelled {
            let reclaimed = try await storage.inventory.reclaimLapsedHolds(at: clock.now(), limit: batch, offersOnly: false)
            total += reclaimed
            if reclaimed < batch { break }
        }
        metrics.unitsHeld(try await storage.resources.unitsHeld(at: clock.now()))
        metrics.entriesWaiting(try await storage.waitlist.waitingCount())
        return total
    }

    /// Offers that lapsed pass their units on before a read, so the next entry's offer shows from the
    /// lapsed one's `expires_at` on (``WaitlistService``).
    private func settleLapsedOffers() async throws {
        try await WaitlistService(storage: storage, clock: clock, metrics: metrics).settleLapsedOffers(at: clock.now())
    }

    /// What a client sees of `hold` now.
    public func status(of hold: Hold) -> Hold.Status {
        hold.status(at: clock.now())
    }
}
