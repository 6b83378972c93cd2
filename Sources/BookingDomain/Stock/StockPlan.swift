import Foundation

/// What may be asked of a locked resource's stock, decided by ``StockDecision``.
public enum StockRequest: Sendable, Equatable {
    /// Book `quantity` units in each period of `span`.
    case book(userID: Int, quantity: Int, span: Span)
    /// Hold `quantity` units in each period of `span` until `until`.
    case hold(userID: Int, quantity: Int, until: Date, span: Span)
    /// Turn a hold into a booking.
    case confirm(holdID: Int, by: EventActor)
    /// Give a held hold's units back.
    case release(holdID: Int, by: EventActor)
    /// Cancel an active booking; its units come back.
    case cancel(bookingID: Int, by: EventActor)
    /// A new total and limits (`nil`: unchanged); the rest of an edit (name, description) comes along for
    /// the event.
    case update(ResourceEdit, by: EventActor)
    /// A dated resource's capacity on one local date (every period of it): `total`, or nil for the
    /// resource's own again.
    case setCapacity(date: LocalDate, total: Int?, by: EventActor)
    /// Put `userID` at the end of the waiting list for `quantity` units in every period of `span`.
    case join(userID: Int, quantity: Int, span: Span = .whole)
    /// Take an open entry off the list (`removal` nil: its owner left).
    case leave(entryID: Int, removal: WaitlistRemoval?, by: EventActor)
    /// Decline an entry's pending offer.
    case decline(entryID: Int, by: EventActor)

    var isTake: Bool {
        switch self {
        case .book, .hold: true
        default: false
        }
    }
}

/// A record a plan refers to: one that exists, or one the plan creates (the `n`-th of its kind, numbered
/// from 0 in the order the plan makes them), whose id persistence learns when it inserts it.
public enum RecordRef: Sendable, Equatable, Hashable {
    case existing(Int)
    case new(Int)
}

/// What one request came to.
public enum StockOutcome: Sendable, Equatable {
    case booked(booking: RecordRef)
    case held(hold: RecordRef)
    /// `created` false: the hold was confirmed before, into `booking`.
    case confirmed(booking: RecordRef, created: Bool)
    case released(holdID: Int)
    case cancelled(bookingID: Int)
    case updated
    case capacitySet
    case joined(entry: RecordRef)
    case left(entryID: Int)
    case declined(entryID: Int)
}

/// One change a decision makes, in the order it makes them. Persistence applies them in this order
/// (inserts of one kind in a row may go in one statement); each row it inserts gets the next number of
/// its kind (``RecordRef/new(_:)``).
public enum StockMove: Sendable, Equatable {
    case insertBooking(userID: Int, quantity: Int, span: Span, hold: RecordRef?, passed: PassedEntries?, at: Date)
    case insertHold(userID: Int, quantity: Int, span: Span, until: Date, entry: RecordRef?, passed: PassedEntries?, at: Date)
    case insertEntry(userID: Int, quantity: Int, span: Span, at: Date)
    /// A held hold ends: released, or expired (at its `expires_at`).
    case endHold(RecordRef, status: Hold.Status, at: Date)
    case confirmHold(id: Int, booking: RecordRef, at: Date)
    case cancelBooking(id: Int, at: Date)
    /// An entry leaves the list as `status` (only from the status it was read in).
    case endEntry(RecordRef, status: WaitlistEntry.Status, from: WaitlistEntry.Status, at: Date, removal: WaitlistRemoval?)
    case offerEntry(RecordRef, at: Date)
    /// A date's own capacity is stored (`total`) or removed (nil).
    case setCalendar(date: LocalDate, total: Int?)
    /// The entries still waiting among `entries`, but `except`'s (and on a dated resource only those
    /// whose range overlaps `within`), are passed by `units` (negative: the units of a take that came back
    /// no longer count as having passed them).
    case pass(units: Int, except: Int?, entries: PassedEntries, within: TakenRange?)
}

/// Which waiting entries a take passed, as its booking or hold keeps it (`passed_through`, the last one's
/// id): the entries up to one (every one waiting when it was taken), or those ahead of one (an offer
/// passes them). Entries made by the plan come after every existing one, in the order it made them.
public enum PassedEntries: Sendable, Equatable, Hashable {
    case upTo(RecordRef)
    case before(RecordRef)
}

/// The subject of an event a plan writes, with records it creates as references.
public struct PlannedSubject: Sendable, Equatable {
    public var booking: RecordRef?
    public var hold: RecordRef?
    public var entry: RecordRef?
    public var userID: Int?

    public init(booking: RecordRef? = nil, hold: RecordRef? = nil, entry: RecordRef? = nil, userID: Int? = nil) {
        self.booking = booking
        self.hold = hold
        self.entry = entry
        self.userID = userID
    }
}

/// An event a plan writes: a ``NewEvent`` whose subject may name records made by the plan.
public struct PlannedEvent: Sendable, Equatable {
    public let type: EventType
    /// The resource's name when it happened (a rename in the same plan changes it for what follows).
    public let resourceName: String
    public let at: Date
    public let actor: EventActor
    public let subject: PlannedSubject
    public let quantity: Int?
    /// The resource's stock after it (a pool's), or for a dated resource the stock of the period it
    /// changed that has the fewest units left.
    public let stock: Stock?
    public let details: [String: EventValue]

    public init(_ type: EventType, of resourceName: String, at: Date, by actor: EventActor, subject: PlannedSubject, quantity: Int? = nil,
                stock: Stock?, details: [String: EventValue] = [:]) {
        self.type = type
        self.resourceName = resourceName
        self.at = at
        self.actor = actor
        self.subject = subject
        self.quantity = quantity
        self.stock = stock
        self.details = details
    }
}

/// A decision: each request's outcome, in order, and what to write for all of them.
public struct StockPlan: Sendable, Equatable {
    /// One per request, in order; a refusal changes nothing of its own.
    public var outcomes: [Result<StockOutcome, AppError>] = []
    /// The changes, in order.
    public var moves: [StockMove] = []
    /// The events, in order (the feed numbers them in commit order).
    public var events: [PlannedEvent] = []
    /// The stock of each period after it all (only periods that changed; for a dated resource, `whole`
    /// is its capacity per period, changed by a new total).
    public var stock: [PeriodKey: Stock] = [:]
    /// The resource's limits after it all, when a request changed them.
    public var limits: UserLimits?
    /// Entries still waiting after it all, when it changed.
    public var waitingCount: Int?
    /// What the plan did on its own account, for the metrics once it commits.
    public var report = StockEvents()
    /// Holds the lock found lapsed and reclaimed.
    public var reclaimed = 0
    /// True when serving the list needed entries the snapshot did not have: load more and decide again.
    public var needsMoreEntries = false

    public init() {}
}
