import Foundation

/// What the inventory knows of one resource once it holds the resource's lock: everything a decision
/// reads (``StockDecision``), loaded by persistence in one go and never read again while deciding. It is
/// exact for as long as the lock is held, since every change to these records takes the same lock.
public struct StockSnapshot: Sendable, Equatable {
    public struct ResourceFacts: Sendable, Equatable {
        public let id: Int
        public var name: String
        public var description: String
        public var limits: UserLimits

        public init(id: Int, name: String, description: String, limits: UserLimits) {
            self.id = id
            self.name = name
            self.description = description
            self.limits = limits
        }
    }

    /// A user's units of the resource: booked (active bookings) and held (holds and offers).
    public struct Owned: Sendable, Equatable {
        public var booked: Int
        public var held: Int

        public init(booked: Int = 0, held: Int = 0) {
            self.booked = booked
            self.held = held
        }

        public var total: Int { booked + held }
    }

    /// A hold the decision may change: one a request names, or one that has lapsed and is still stored
    /// as held (the lock reclaims those).
    public struct HoldFacts: Sendable, Equatable {
        public let id: Int
        public let userID: Int
        public let quantity: Int
        public var status: Hold.Status
        public let expiresAt: Date
        public let entryID: Int?
        /// The last waiting-list entry its take passed; nil when it passed none.
        public let passedThrough: Int?
        /// The booking it became, once confirmed.
        public let bookingID: Int?
        /// The periods it holds.
        public let span: Span

        public init(id: Int, userID: Int, quantity: Int, status: Hold.Status, expiresAt: Date, entryID: Int?, passedThrough: Int?,
                    bookingID: Int?, span: Span = .whole) {
            self.id = id
            self.span = span
            self.userID = userID
            self.quantity = quantity
            self.status = status
            self.expiresAt = expiresAt
            self.entryID = entryID
            self.passedThrough = passedThrough
            self.bookingID = bookingID
        }
    }

    /// A booking a request names (to cancel it).
    public struct BookingFacts: Sendable, Equatable {
        public let id: Int
        public let userID: Int
        public let quantity: Int
        public var status: Booking.Status
        public let passedThrough: Int?
        /// The periods it takes.
        public let span: Span

        public init(id: Int, userID: Int, quantity: Int, status: Booking.Status, passedThrough: Int?, span: Span = .whole) {
            self.id = id
            self.span = span
            self.userID = userID
            self.quantity = quantity
            self.status = status
            self.passedThrough = passedThrough
        }
    }

    /// A waiting-list entry: every one that could be offered units or stop others in this decision, and
    /// any a request names.
    public struct EntryFacts: Sendable, Equatable {
        public let id: Int
        public let userID: Int
        public let quantity: Int
        public var status: WaitlistEntry.Status
        /// Units taken past it by others that are still taken (the bound on overtaking).
        public var passedUnits: Int
        /// Whether its user is active: a deactivated user's entry keeps its place but is passed over.
        public let userIsActive: Bool
        /// Its pending offer.
        public var offerHoldID: Int?
        /// The periods it waits for.
        public let span: Span

        public init(id: Int, userID: Int, quantity: Int, status: WaitlistEntry.Status, passedUnits: Int, userIsActive: Bool,
                    offerHoldID: Int?, span: Span = .whole) {
            self.id = id
            self.span = span
            self.userID = userID
            self.quantity = quantity
            self.status = status
            self.passedUnits = passedUnits
            self.userIsActive = userIsActive
            self.offerHoldID = offerHoldID
        }
    }

    public var resource: ResourceFacts
    /// The stock of each period the decision concerns, as stored (lapsed holds still counted as held). A
    /// pool's is `whole`. For a dated resource, `whole` is its capacity per period, and a period with no
    /// stock stored yet is absent: nothing is taken in it, so it has that capacity, all available.
    public var stock: [PeriodKey: Stock]
    /// Entries of the waiting list still waiting.
    public var waitingCount: Int
    /// The units of each user the decision may need to count (requests' users and waiting entries'),
    /// absent for users with none: a pool's.
    public var owned: [Int: Owned]
    /// For a dated resource: each such user's units in each period the decision concerns.
    public var ownedInPeriods: [Int: [PeriodKey: Owned]]
    /// Holds stored as held whose time has run out, and holds the requests name.
    public var holds: [Int: HoldFacts]
    /// Bookings the requests name.
    public var bookings: [Int: BookingFacts]
    /// Waiting entries that could be offered units or stop others, in the order they joined, and entries
    /// the requests name.
    public var entries: [EntryFacts]
    /// Whether `entries` holds every waiting entry that could matter (``StockDecision/entryFilter``); when
    /// not, a decision that needs more says so and is made again with more.
    public var entriesComplete: Bool
    /// Users who already have an open entry (waiting or offered) in the list, of those who ask to join.
    public var usersWaiting: Set<Int>
    /// The last entry waiting (by id), whichever its user: a take passes every waiting entry up to it.
    public var lastWaitingEntryID: Int?
    /// A dated resource's schedule (to write the periods a refusal names); nil for a pool.
    public var schedule: Schedule?
    /// A dated resource's dates with a capacity of their own (by day number), among those the decision
    /// concerns: every period on such a date has that total instead of the resource's.
    public var calendar: [Int64: Int] = [:]

    public init(resource: ResourceFacts, stock: [PeriodKey: Stock], waitingCount: Int, owned: [Int: Owned] = [:],
                ownedInPeriods: [Int: [PeriodKey: Owned]] = [:], schedule: Schedule? = nil, holds: [Int: HoldFacts] = [:], bookings: [Int: BookingFacts] = [:], entries: [EntryFacts] = [],
                entriesComplete: Bool = true, usersWaiting: Set<Int> = [], lastWaitingEntryID: Int? = nil) {
        self.resource = resource
        self.stock = stock
        self.waitingCount = waitingCount
        self.owned = owned
        self.ownedInPeriods = ownedInPeriods
        self.schedule = schedule
        self.holds = holds
        self.bookings = bookings
        self.entries = entries
        self.entriesComplete = entriesComplete
        self.usersWaiting = usersWaiting
        self.lastWaitingEntryID = lastWaitingEntryID
    }
}
