import BookingDomain
import Foundation

/// A resource's records kept in memory, as the database keeps them: what the decision's plans are applied
/// to in these tests. It loads a snapshot as persistence does (everything, since it is small) and applies
/// a plan's moves as the SQL does, so a sequence of decisions can be followed without a database.
struct Ledger: Equatable {
    struct BookingRecord: Equatable {
        let userID: Int
        let quantity: Int
        var status: Booking.Status
        let passedThrough: Int?
        let holdID: Int?
    }

    struct HoldRecord: Equatable {
        let userID: Int
        let quantity: Int
        var status: Hold.Status
        let expiresAt: Date
        let entryID: Int?
        let passedThrough: Int?
    }

    struct Event: Equatable {
        let type: EventType
        let resourceName: String
        let at: Date
        let actor: EventActor
        let booking: Int?, hold: Int?, entry: Int?, userID: Int?
        let quantity: Int?
        let stock: Stock?
        let details: [String: EventValue]
    }

    struct EntryRecord: Equatable {
        let userID: Int
        let quantity: Int
        var status: WaitlistEntry.Status
        var passedUnits: Int
    }

    var resource: StockSnapshot.ResourceFacts
    var stock: Stock
    var waitingCount = 0
    var bookings: [Int: BookingRecord] = [:]
    var holds: [Int: HoldRecord] = [:]
    var entries: [Int: EntryRecord] = [:]
    /// The events written, with the ids of the records they name.
    var events: [Event] = []
    /// Users whose accounts are deactivated.
    var inactive: Set<Int> = []
    private var nextID = 1

    init(total: Int, limits: UserLimits = UserLimits()) {
        resource = .init(id: 1, name: "Kayaks", description: "", limits: limits)
        stock = Stock(total: total, available: total)
    }

    /// What persistence would load under the lock (every record: the ledger is small).
    func snapshot() -> StockSnapshot {
        var owned: [Int: StockSnapshot.Owned] = [:]
        for booking in bookings.values where booking.status == .active { owned[booking.userID, default: .init()].booked += booking.quantity }
        for hold in holds.values where hold.status == .held { owned[hold.userID, default: .init()].held += hold.quantity }
        let offers = Dictionary(holds.filter { $0.value.status == .held && $0.value.entryID != nil }.map { ($0.value.entryID!, $0.key) },
                                uniquingKeysWith: max)
        return StockSnapshot(
            resource: resource, stock: [.whole: stock], waitingCount: waitingCount, owned: owned,
            holds: Dictionary(uniqueKeysWithValues: holds.map { id, hold in
                (id, .init(id: id, userID: hold.userID, quantity: hold.quantity, status: hold.status, expiresAt: hold.expiresAt,
                           entryID: hold.entryID, passedThrough: hold.passedThrough, bookingID: bookings.first { $0.value.holdID == id }?.key))
            }),
            bookings: Dictionary(uniqueKeysWithValues: bookings.map {
                ($0.key, .init(id: $0.key, userID: $0.value.userID, quantity: $0.value.quantity, status: $0.value.status,
                               passedThrough: $0.value.passedThrough))
            }),
            entries: entries.keys.sorted().map { id in
                let entry = entries[id]!
                return .init(id: id, userID: entry.userID, quantity: entry.quantity, status: entry.status, passedUnits: entry.passedUnits,
                             userIsActive: !inactive.contains(entry.userID), offerHoldID: offers[id])
            },
            usersWaiting: Set(entries.values.filter { $0.status.isOpen }.map(\.userID)),
            lastWaitingEntryID: entries.filter { $0.value.status == .waiting }.keys.max())
    }

    /// Decides `requests` at `now` and applies the plan; returns it with the ids of the records it made.
    @discardableResult
    mutating func decide(_ requests: [StockRequest], policy: StockPolicy = StockPolicy(), at now: Date) -> (plan: StockPlan, made: Made) {
        let plan = StockDecision.decide(snapshot(), requests, policy: policy, at: now)
        return (plan, apply(plan))
    }

    struct Made: Equatable {
        var bookings: [Int] = []
        var holds: [Int] = []
        var entries: [Int] = []

        func id(_ ref: RecordRef, _ kind: KeyPath<Made, [Int]>) -> Int {
            switch ref {
            case .existing(let id): id
            case .new(let index): self[keyPath: kind][index]
            }
        }
    }

    private mutating func newID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    /// Applies `plan` as the SQL does.
    mutating func apply(_ plan: StockPlan) -> Made {
        var made = Made()
        func resolve(_ passed: PassedEntries) -> Int {
            switch passed {
            case .upTo(let ref): made.id(ref, \.entries)
            case .before(let ref): made.id(ref, \.entries) - 1
            }
        }
        for move in plan.moves {
            switch move {
            case .insertBooking(let userID, let quantity, _, let hold, let passed, _):
                let id = newID()
                bookings[id] = BookingRecord(userID: userID, quantity: quantity, status: .active, passedThrough: passed.map(resolve),
                                             holdID: hold.map { made.id($0, \.holds) })
                made.bookings.append(id)
            case .insertHold(let userID, let quantity, _, let until, let entry, let passed, _):
                let id = newID()
                holds[id] = HoldRecord(userID: userID, quantity: quantity, status: .held, expiresAt: until,
                                       entryID: entry.map { made.id($0, \.entries) }, passedThrough: passed.map(resolve))
                made.holds.append(id)
            case .insertEntry(let userID, let quantity, _, _):
                let id = newID()
                entries[id] = EntryRecord(userID: userID, quantity: quantity, status: .waiting, passedUnits: 0)
                made.entries.append(id)
            case .endHold(let ref, let status, _):
                let id = made.id(ref, \.holds)
                if holds[id]?.status == .held { holds[id]?.status = status }
            case .confirmHold(let id, _, _):
                holds[id]?.status = .confirmed
            case .cancelBooking(let id, _):
                bookings[id]?.status = .cancelled
            case .endEntry(let ref, let status, let from, _, _):
                let id = made.id(ref, \.entries)
                if entries[id]?.status == from { entries[id]?.status = status }
            case .setCalendar:
                // A pool's ledger has no dates.
                break
            case .offerEntry(let ref, _):
                entries[made.id(ref, \.entries)]?.status = .offered
            case .pass(let units, let except, let which, _):
                for (id, entry) in entries where entry.status == .waiting && entry.userID != except {
                    let included = switch which {
                    case .upTo(let ref): id <= made.id(ref, \.entries)
                    case .before(let ref): id < made.id(ref, \.entries)
                    }
                    if included { entries[id]?.passedUnits = max(0, entry.passedUnits + units) }
                }
            }
        }
        if let after = plan.stock[.whole] { stock = after }
        if let limits = plan.limits { resource.limits = limits }
        if let waiting = plan.waitingCount { waitingCount = waiting }
        events += plan.events.map {
            Event(type: $0.type, resourceName: $0.resourceName, at: $0.at, actor: $0.actor, booking: $0.subject.booking.map { made.id($0, \.bookings) },
                  hold: $0.subject.hold.map { made.id($0, \.holds) }, entry: $0.subject.entry.map { made.id($0, \.entries) },
                  userID: $0.subject.userID, quantity: $0.quantity, stock: $0.stock, details: $0.details)
        }
        return made
    }

    // MARK: What must always hold

    /// Units booked by the active bookings.
    var bookedUnits: Int { bookings.values.filter { $0.status == .active }.reduce(0) { $0 + $1.quantity } }
    /// Units held by the holds stored as held.
    var heldUnits: Int { holds.values.filter { $0.status == .held }.reduce(0) { $0 + $1.quantity } }

    /// The stock agrees with the records, and nothing is oversold; the waiting count with the entries.
    func violations() -> [String] {
        var found: [String] = []
        if stock.available < 0 || stock.held < 0 || stock.available + stock.held > stock.total { found.append("stock out of bounds: \(stock)") }
        if stock.held != heldUnits { found.append("held \(stock.held) but holds hold \(heldUnits)") }
        if stock.booked != bookedUnits { found.append("booked \(stock.booked) but bookings have \(bookedUnits)") }
        let waiting = entries.values.filter { $0.status == .waiting }.count
        if waiting != waitingCount { found.append("waiting count \(waitingCount) but \(waiting) entries wait") }
        for (id, entry) in entries where entry.status == .offered {
            if !holds.values.contains(where: { $0.entryID == id && $0.status == .held }) { found.append("entry \(id) offered without a hold") }
        }
        return found
    }
}
