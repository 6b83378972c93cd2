import Foundation

/// Recurring bookings: the rules around a series (validation, Idempotency-Keys, who may see and cancel
/// it). Its occurrences are booked and cancelled only in the ``Inventory``, each as a booking of its own.
public struct SeriesService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    let metrics: ServiceMetrics
    let writes: WriteThrottle

    public init(storage: any Storage, clock: any WallClock, metrics: ServiceMetrics, writes: WriteThrottle) {
        self.storage = storage
        self.clock = clock
        self.metrics = metrics
        self.writes = writes
    }

    /// A series, and whether it was made earlier under the same Idempotency-Key.
    public struct Outcome: Sendable {
        public let series: BookingSeries
        public let replayed: Bool
    }

    /// The longest rule accepted.
    public static let rruleLength = 1...255

    /// Books a series of `quantity` units of `reference` for `user`: the first occurrence is `first`, the
    /// rule repeats it (``Schedule/occurrences(of:repeating:now:)``); `onConflict` nil means `fail`. It
    /// counts as one write against the user's write limit; every occurrence meets every check a booking does.
    public func book(
        _ reference: ResourceReference?, quantity: Int?, first: PeriodRange?, rrule: String?, onConflict: String?, for user: User,
        idempotencyKey: String? = nil
    ) async throws -> Outcome {
        do {
            let (reference, quantity) = try BookingService.validate(reference, quantity)
            let request = try Self.validate(reference, quantity, first, rrule, onConflict, for: user)
            let now = clock.now()
            let outcome = try await IdempotentRequests(storage: storage, clock: clock).run(
                key: idempotencyKey, userID: user.id, requestHash: Self.fingerprint(request),
                create: { key in
                    try await writes.spend(for: user, at: now)
                    return try await storage.inventory.bookSeries(request, at: now, completing: key)
                },
                replay: { id in
                    guard let series = try await storage.series.find(id: id) else { throw AppError.seriesNotFound }
                    return series
                })
            if !outcome.replayed { metrics.booked(count: outcome.record.occurrences.count { $0.bookingID != nil }, of: quantity) }
            return Outcome(series: outcome.record, replayed: outcome.replayed)
        } catch {
            metrics.refusedBooking(error)
            throw error
        }
    }

    static func validate(_ reference: ResourceReference, _ quantity: Int, _ first: PeriodRange?, _ rrule: String?, _ onConflict: String?,
                         for user: User) throws(AppError) -> SeriesRequest {
        guard let first else { throw .invalidPeriod(reason: "start is required: the first occurrence's start (and end).") }
        guard let rrule else { throw .invalidField(field: "rrule", reason: "rrule is required (FREQ=WEEKLY;COUNT=12, as RFC 5545 writes it).") }
        guard Self.rruleLength.contains(rrule.utf8.count),
              rrule.utf8.allSatisfy({ $0.isURLSafeBase64 && $0 != UInt8(ascii: "_") || [UInt8(ascii: "="), UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: "+")].contains($0) })
        else {
            throw .invalidField(field: "rrule", reason: "rrule is 1 to \(Self.rruleLength.upperBound) letters, digits and = ; , + - as RFC 5545 writes it.")
        }
        let mode: BookingSeries.OnConflict
        if let onConflict {
            guard let value = BookingSeries.OnConflict(rawValue: onConflict) else {
                throw .invalidField(field: "on_conflict", reason: "on_conflict is fail or skip.")
            }
            mode = value
        } else {
            mode = .fail
        }
        return SeriesRequest(resource: reference, quantity: quantity, first: first, rule: try RecurrenceRule(rrule), onConflict: mode,
                             userID: user.id)
    }

    /// What makes two series under one Idempotency-Key "the same" (never the same as a booking's).
    static func fingerprint(_ request: SeriesRequest) -> String {
        ("series|" + BookingService.fingerprint(request.resource, request.quantity, request.first)
            + "|\(request.rule.text)|\(request.onConflict.rawValue)").sha256Hex
    }

    /// One series, if it is the caller's or the caller is an admin; someone else's is "not found".
    public func series(id: Int, visibleTo user: User) async throws -> BookingSeries {
        guard let series = try await storage.series.find(id: id), user.mayAccess(ownerID: series.userID) else { throw AppError.seriesNotFound }
        return series
    }

    /// The caller's series, newest first; an admin sees everyone's.
    public func list(visibleTo user: User, limit: Int, offset: Int) async throws -> [BookingSeries] {
        try Validate.page(limit: limit, offset: offset)
        return try await storage.series.list(userID: user.ownerScope, limit: limit, offset: offset)
    }

    /// Cancels the series' active occurrences from `from` on (all: nil), each exactly once, and answers
    /// the series as it then stands. Someone else's series is "not found".
    public func cancel(seriesID: Int, from: PeriodRange?, by user: User) async throws -> BookingSeries {
        // Counted from what this call cancelled under the lock, so concurrent cancels count each occurrence once.
        let (series, cancelled) = try await storage.inventory.cancelSeries(seriesID: seriesID, ownerID: user.ownerScope, from: from,
                                                                           at: clock.now(), by: .user(user.id))
        metrics.cancelled(count: cancelled, of: series.quantity)
        return series
    }
}
