import BookingDomain
import Foundation
import PropertyBased
import Testing

/// A dated resource's records in memory, as the database keeps them (records with their spans, a stock
/// row per period touched), loaded and applied as persistence does: the decision over periods followed
/// through random histories without a database.
struct DatedLedger {
    struct Record {
        let userID: Int
        let quantity: Int
        var status: String
        let span: Span
        var expiresAt: Date = .distantFuture
        var entryID: Int?
        var holdID: Int?
        var passedThrough: Int?
        var passedUnits = 0
    }

    static let schedule = DatedStockDecisionTests.schedule
    let capacity: Int
    let limits: UserLimits
    var periods: [PeriodKey: Stock] = [:]
    var bookings: [Int: Record] = [:]
    var holds: [Int: Record] = [:]
    var entries: [Int: Record] = [:]
    var waitingCount = 0
    private var nextID = 1

    init(capacity: Int, limits: UserLimits) {
        self.capacity = capacity
        self.limits = limits
    }

    /// `count` nights from the `first`-th (of a window of six).
    static func span(_ first: Int, _ count: Int) -> Span {
        DatedStockDecisionTests.nights(10 + first, min(count, 6 - first))
    }

    func snapshot() -> StockSnapshot {
        var owned: [Int: [PeriodKey: StockSnapshot.Owned]] = [:]
        for record in bookings.values where record.status == "active" {
            for key in record.span.keys { owned[record.userID, default: [:]][key, default: .init()].booked += record.quantity }
        }
        for record in holds.values where record.status == "held" {
            for key in record.span.keys { owned[record.userID, default: [:]][key, default: .init()].held += record.quantity }
        }
        var stock = periods
        stock[.whole] = Stock(total: capacity, available: capacity)
        let offers = Dictionary(holds.filter { $0.value.status == "held" && $0.value.entryID != nil }.map { ($0.value.entryID!, $0.key) },
                                uniquingKeysWith: max)
        return StockSnapshot(
            resource: .init(id: 1, name: "Rooms", description: "", limits: limits), stock: stock, waitingCount: waitingCount,
            ownedInPeriods: owned, schedule: Self.schedule,
            holds: Dictionary(uniqueKeysWithValues: holds.map { id, hold in
                (id, .init(id: id, userID: hold.userID, quantity: hold.quantity, status: Hold.Status(rawValue: hold.status)!,
                           expiresAt: hold.expiresAt, entryID: hold.entryID, passedThrough: hold.passedThrough,
                           bookingID: bookings.first { $0.value.holdID == id }?.key, span: hold.span))
            }),
            bookings: Dictionary(uniqueKeysWithValues: bookings.map { id, booking in
                (id, .init(id: id, userID: booking.userID, quantity: booking.quantity, status: Booking.Status(rawValue: booking.status)!,
                           passedThrough: booking.passedThrough, span: booking.span))
            }),
            entries: entries.keys.sorted().map { id in
                let entry = entries[id]!
                return .init(id: id, userID: entry.userID, quantity: entry.quantity, status: WaitlistEntry.Status(rawValue: entry.status)!,
                             passedUnits: entry.passedUnits, userIsActive: true, offerHoldID: offers[id], span: entry.span)
            },
            usersWaiting: Set(entries.values.filter { $0.status == "waiting" || $0.status == "offered" }.map(\.userID)),
            lastWaitingEntryID: entries.filter { $0.value.status == "waiting" }.keys.max())
    }

    private mutating func newID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    /// Decides `requests` at `now` and applies the plan as the SQL does.
    @discardableResult
    mutating func decide(_ requests: [StockRequest], at now: Date) -> StockPlan {
        let plan = StockDecision.decide(snapshot(), requests, policy: StockPolicy(offerTTL: 90, holdTTL: 60, maxHeldPerUser: nil), at: now)
        var made: (bookings: [Int], holds: [Int], entries: [Int]) = ([], [], [])
        func id(_ ref: RecordRef, _ kind: [Int]) -> Int {
            switch ref {
            case .existing(let id): id
            case .new(let index): kind[index]
            }
        }
        func resolve(_ passed: PassedEntries) -> Int {
            switch passed {
            case .upTo(let ref): id(ref, made.entries)
            case .before(let ref): id(ref, made.entries) - 1
            }
        }
        for move in plan.moves {
            switch move {
            case .insertBooking(let userID, let quantity, let span, let hold, let passed, _):
                let new = newID()
                bookings[new] = Record(userID: userID, quantity: quantity, status: "active", span: span, holdID: hold.map { id($0, made.holds) },
                                       passedThrough: passed.map(resolve))
                made.bookings.append(new)
            case .insertHold(let userID, let quantity, let span, let until, let entry, let passed, _):
                let new = newID()
                holds[new] = Record(userID: userID, quantity: quantity, status: "held", span: span, expiresAt: until,
                                    entryID: entry.map { id($0, made.entries) }, passedThrough: passed.map(resolve))
                made.holds.append(new)
            case .insertEntry(let userID, let quantity, let span, _):
                let new = newID()
                entries[new] = Record(userID: userID, quantity: quantity, status: "waiting", span: span)
                made.entries.append(new)
            case .endHold(let ref, let status, _):
                if holds[id(ref, made.holds)]?.status == "held" { holds[id(ref, made.holds)]?.status = status.rawValue }
            case .confirmHold(let hold, _, _):
                holds[hold]?.status = "confirmed"
            case .cancelBooking(let booking, _):
                bookings[booking]?.status = "cancelled"
            case .endEntry(let ref, let status, let from, _, _):
                if entries[id(ref, made.entries)]?.status == from.rawValue { entries[id(ref, made.entries)]?.status = status.rawValue }
            case .offerEntry(let ref, _):
                entries[id(ref, made.entries)]?.status = "offered"
            case .pass(let units, let except, let which, let within):
                for (entryID, entry) in entries where entry.status == "waiting" && entry.userID != except {
                    let included = switch which {
                    case .upTo(let ref): entryID <= id(ref, made.entries)
                    case .before(let ref): entryID < id(ref, made.entries)
                    }
                    if included, within.map({ entry.span.range!.overlaps($0) }) ?? true {
                        entries[entryID]?.passedUnits = max(0, entry.passedUnits + units)
                    }
                }
            case .setCalendar:
                break
            }
        }
        for (key, stock) in plan.stock where key != .whole { periods[key] = stock }
        if let waiting = plan.waitingCount { waitingCount = waiting }
        return plan
    }

    /// Every period agrees with the records covering it and is within its bounds; no user is past the
    /// limit in any period; every offered entry has its hold; the waiting count is the entries waiting.
    func violations() -> [String] {
        var found: [String] = []
        var booked = [PeriodKey: Int](), held = [PeriodKey: Int](), owned = [Int: [PeriodKey: Int]]()
        for record in bookings.values where record.status == "active" {
            for key in record.span.keys { booked[key, default: 0] += record.quantity; owned[record.userID, default: [:]][key, default: 0] += record.quantity }
        }
        for record in holds.values where record.status == "held" {
            for key in record.span.keys { held[key, default: 0] += record.quantity; owned[record.userID, default: [:]][key, default: 0] += record.quantity }
        }
        for key in Set(booked.keys).union(held.keys).union(periods.keys) {
            let stock = periods[key] ?? Stock(total: capacity, available: capacity)
            if stock.available < 0 || stock.held < 0 || stock.available + stock.held > stock.total { found.append("\(key) out of bounds: \(stock)") }
            if stock.held != held[key, default: 0] { found.append("\(key): held \(stock.held) but holds hold \(held[key, default: 0])") }
            if stock.booked != booked[key, default: 0] { found.append("\(key): booked \(stock.booked) but bookings have \(booked[key, default: 0])") }
        }
        if let most = limits.maxPerUser {
            for (user, keys) in owned { for (key, units) in keys where units > most { found.append("user \(user) has \(units) in \(key)") } }
        }
        if waitingCount != entries.values.filter({ $0.status == "waiting" }).count { found.append("waiting count \(waitingCount) is wrong") }
        for (id, entry) in entries where entry.status == "offered" && !holds.values.contains(where: { $0.entryID == id && $0.status == "held" }) {
            found.append("entry \(id) offered without a hold")
        }
        return found
    }
}

@Suite("Properties of the stock decision over periods")
struct DatedStockPropertyTests {
    /// One operation as an integer: a kind, a user (1-3), a quantity (1-3), a first night (0-5), a length
    /// (1-3) and which existing record it names.
    static func request(_ op: Int, over ledger: DatedLedger, at now: Date) -> StockRequest {
        let user = (op / 8) % 3 + 1, quantity = (op / 24) % 3 + 1, first = (op / 72) % 6, count = (op / 432) % 3 + 1, pick = op / 1296
        let span = DatedLedger.span(first, count)
        func one(_ ids: some Collection<Int>) -> Int { ids.isEmpty ? 999 : ids.sorted()[pick % ids.count] }
        switch op % 8 {
        case 0, 1: return .book(userID: user, quantity: quantity, span: span)
        case 2: return .hold(userID: user, quantity: quantity, until: now + 60, span: span)
        case 3: return .join(userID: user, quantity: quantity, span: span)
        case 4: return .cancel(bookingID: one(ledger.bookings.keys), by: .user(user))
        case 5: return .confirm(holdID: one(ledger.holds.keys), by: .user(user))
        case 6: return .release(holdID: one(ledger.holds.keys), by: .user(user))
        default: return .leave(entryID: one(ledger.entries.keys), removal: nil, by: .user(user))
        }
    }

    @Test("whatever happens over overlapping ranges, one at a time or in batches, with holds lapsing: no night oversold, every night agrees with its records, the limit holds in each")
    func invariants() async {
        let generator = zip(Gen.int(in: 1...6), Gen.int(in: 1...4).optional, Gen.int(in: 0...99_999).array(of: 1...30),
                            Gen.int(in: 1...4))
        await propertyCheck(count: 300, input: generator) { capacity, maxPerUser, ops, batch in
            var ledger = DatedLedger(capacity: capacity, limits: UserLimits(maxPerUser: maxPerUser))
            var index = 0, step = 0
            while index < ops.count {
                // Time moves 25 s per step: holds of 60 s lapse two or three steps later.
                let now = t0 + Double(step) * 25
                let requests = ops[index..<min(ops.count, index + batch)].map { Self.request($0, over: ledger, at: now) }
                ledger.decide(requests, at: now)
                let found = ledger.violations()
                #expect(found.isEmpty, "capacity \(capacity) max \(maxPerUser.map(String.init) ?? "-") ops \(ops) batch \(batch): \(found)")
                if !found.isEmpty { return }
                index += batch
                step += 1
            }
        }
    }
}
