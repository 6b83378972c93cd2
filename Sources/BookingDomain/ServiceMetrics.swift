import CoreMetrics

/// What the domain services count for `/metrics`: bookings made and cancelled, holds by how they ended,
/// the units they moved, bookings and holds refused and why, waiting lists and their offers, and logins by outcome.
///
/// Every series is created up front, so each is exported from the first scrape at 0 and a `rate()`
/// over it never starts with a gap.
public struct ServiceMetrics: Sendable {
    /// Why a booking was refused.
    public enum Refusal: String, CaseIterable, Sendable {
        /// Fewer units are available than were asked for.
        case insufficient
        case unknownResource = "unknown_resource"
        /// The request itself was unusable: malformed body, missing or out-of-range fields.
        case invalid
        /// The Idempotency-Key is in use by another request, or was used with a different body.
        case idempotencyConflict = "idempotency_conflict"
        /// The resource's `max_per_user` or `max_per_booking`.
        case limit

        /// The refusal an error stands for; nil for errors that are not the client's booking being refused
        /// (a database outage, say, which the request metrics count as a 503).
        public init?(_ error: any Error) {
            switch error as? AppError {
            case .seriesRefused(let refusals):
                guard let first = refusals.first, let reason = Refusal(first.error) else { return nil }
                self = reason
            case .insufficientQuantity, .insufficientInPeriods: self = .insufficient
            case .resourceNotFound: self = .unknownResource
            case .invalidField, .malformedBody: self = .invalid
            case .idempotencyKeyReused, .idempotencyKeyInProgress: self = .idempotencyConflict
            case .perUserLimit, .perBookingLimit: self = .limit
            default: return nil
            }
        }
    }

    /// How entries join and leave waiting lists on their own (offers are counted by ``OfferOutcome``).
    public enum WaitlistChange: String, CaseIterable, Sendable {
        case joined, left, removed
    }

    /// Offers made to waiting-list entries, and how they ended.
    public enum OfferOutcome: String, CaseIterable, Sendable {
        case made, accepted, declined, expired
    }

    public enum LoginOutcome: String, CaseIterable, Sendable {
        case success
        /// Wrong username or password, or a deactivated account.
        case failure
        /// Refused without checking the password, after too many failures (429).
        case throttled
    }

    private let bookingsCreated: Counter
    private let bookingsCancelled: Counter
    private let unitsBooked: Counter
    private let unitsReleased: Counter
    private let refusals: [Refusal: Counter]
    private let holdRefusals: [Refusal: Counter]
    private let holds: [Hold.Status: Counter]
    private let unitsHeld: Gauge
    private let logins: [LoginOutcome: Counter]
    private let waitlistChanges: [WaitlistChange: Counter]
    private let offers: [OfferOutcome: Counter]
    private let entriesWaiting: Gauge

    public init(factory: any MetricsFactory) {
        bookingsCreated = Counter(label: "booking_bookings_created_total", factory: factory)
        bookingsCancelled = Counter(label: "booking_bookings_cancelled_total", factory: factory)
        unitsBooked = Counter(label: "booking_units_booked_total", factory: factory)
        unitsReleased = Counter(label: "booking_units_released_total", factory: factory)
        refusals = Self.counters("booking_refusals_total", by: "reason", factory: factory)
        holdRefusals = Self.counters("booking_hold_refusals_total", by: "reason", factory: factory)
        // By status: `held` counts holds created, the others how many holds ended that way.
        holds = Self.counters("booking_holds_total", by: "status", factory: factory)
        unitsHeld = Gauge(label: "booking_units_held", factory: factory)
        logins = Self.counters("booking_logins_total", by: "outcome", factory: factory)
        waitlistChanges = Self.counters("booking_waitlist_entries_total", by: "change", factory: factory)
        offers = Self.counters("booking_waitlist_offers_total", by: "outcome", factory: factory)
        entriesWaiting = Gauge(label: "booking_waitlist_waiting", factory: factory)
    }

    /// One series of `label` per case of `Key`, told apart by the dimension `dimension`.
    static func counters<Key: RawRepresentable & CaseIterable & Hashable>(
        _ label: String, by dimension: String, factory: any MetricsFactory
    ) -> [Key: Counter] where Key.RawValue == String {
        Dictionary(uniqueKeysWithValues: Key.allCases.map { key in
            (key, Counter(label: label, dimensions: [(dimension, key.rawValue)], factory: factory))
        })
    }

    public func booked(_ booking: Booking) {
        bookingsCreated.increment()
        unitsBooked.increment(by: booking.purchaseQuantity)
    }

    /// `count` bookings of `quantity` units each, made or cancelled together (a series' occurrences).
    public func booked(count: Int, of quantity: Int) {
        bookingsCreated.increment(by: count)
        unitsBooked.increment(by: count * quantity)
    }

    public func cancelled(count: Int, of quantity: Int) {
        bookingsCancelled.increment(by: count)
        unitsReleased.increment(by: count * quantity)
    }

    public func cancelled(_ booking: Booking) {
        bookingsCancelled.increment()
        unitsReleased.increment(by: booking.purchaseQuantity)
    }

    /// Counts `error` if it refuses a booking; other errors are not counted here.
    public func refusedBooking(_ error: any Error) {
        guard let reason = Refusal(error) else { return }
        refusals[reason]?.increment()
    }

    public func held(_ hold: Hold) {
        holds[.held]?.increment()
    }

    /// A hold confirmed into `booking`: a booking made, too.
    public func confirmed(_ booking: Booking) {
        holds[.confirmed]?.increment()
        booked(booking)
    }

    public func released(_ hold: Hold) {
        holds[.released]?.increment()
    }

    /// What a committed inventory transaction did on its own account: holds whose expiry it wrote down (at
    /// a stock movement on their resource, or in the expiry job) and offers, counted once each.
    public func record(_ events: StockEvents) {
        guard !events.isEmpty else { return }
        if events.holdsExpired > 0 { holds[.expired]?.increment(by: events.holdsExpired) }
        for (outcome, count) in [(OfferOutcome.made, events.offersMade), (.accepted, events.offersAccepted),
                                 (.declined, events.offersDeclined), (.expired, events.offersExpired)] where count > 0 {
            offers[outcome]?.increment(by: count)
        }
    }

    public func waitlist(_ change: WaitlistChange) {
        waitlistChanges[change]?.increment()
    }

    /// The entries waiting across all waiting lists: the database's figure when last read.
    public func entriesWaiting(_ count: Int) {
        entriesWaiting.record(count)
    }

    /// The units held, unexpired, across all resources: the database's figure when last read.
    public func unitsHeld(_ units: Int) {
        unitsHeld.record(units)
    }

    /// Counts `error` if it refuses a hold.
    public func refusedHold(_ error: any Error) {
        guard let reason = Refusal(error) else { return }
        holdRefusals[reason]?.increment()
    }

    public func login(_ outcome: LoginOutcome) {
        logins[outcome]?.increment()
    }
}
