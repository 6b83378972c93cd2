import Foundation

/// The one rule that decides what happens to a resource's stock.
///
/// Given the snapshot its lock made (``StockSnapshot``), the requests in arrival order and the time, it
/// returns each request's outcome and every change to make (``StockPlan``), and does nothing else: no
/// I/O, no clock of its own. Persistence locks, loads the snapshot, calls it, and applies the plan; a
/// booking alone, a batch of them, a hold's confirmation, a cancellation, a resize, a waiting list's
/// join, leave or decline all go through here, and nothing else decides a take.
///
/// In order, for every plan: the lock first reclaims the holds that have lapsed (their units come back,
/// an offer's entry expires) and serves the waiting list; then each request is decided as it would be
/// alone at its turn, on what the requests before it left: a refusal changes nothing of its own; after
/// every change that frees units or changes the list, the list is served (``WaitlistServing``).
public enum StockDecision {
    /// Decides `requests` over `snapshot` at `now`, under `policy`.
    public static func decide(_ snapshot: StockSnapshot, _ requests: [StockRequest], policy: StockPolicy, at now: Date) -> StockPlan {
        var decider = Decider(snapshot: snapshot, policy: policy, now: now)
        decider.settle()
        for request in requests {
            decider.plan.outcomes.append(decider.decide(request))
        }
        return decider.finished()
    }

    /// Which waiting entries a decision over `stock` may need, as persistence loads them: every entry
    /// waiting that could be offered units (wanting at most `quantityAtMost`) or become a barrier within
    /// it (passed by at least its quantity less `passesAtMost`), since units can only be freed up to the
    /// stock not yet available plus `returned`, and passes grow by the takes' units and the offers'.
    public static func entriesNeeded(stock: Stock, returned: Int, requests: [StockRequest]) -> (quantityAtMost: Int, passesAtMost: Int) {
        let free = stock.available + stock.held + returned
        let taken = requests.reduce(0) { sum, request in
            switch request {
            case .book(_, let quantity, _), .hold(_, let quantity, _, _): sum + quantity
            case .confirm, .release, .cancel, .update, .setCapacity, .join, .leave, .decline: sum + stock.total
            }
        }
        return (min(stock.total, free), taken + free)
    }
}

extension StockDecision {
    /// The state of the record a cancellation, release or leave names, as far as it alone refuses it.
    public enum Named: Sendable {
        case booking(Booking.Status)
        case hold(Hold.Status)
        case entry(WaitlistEntry.Status)
    }

    /// Why a request naming a record in `state` is refused whatever the stock: the record has reached a
    /// final state (a cancelled booking, a hold no longer held, an entry off the list), which nothing
    /// changes again, so persistence may answer it from a read, before any lock; nil when the state does
    /// not refuse it. The decision applies the same function under the lock.
    public static func finalRefusal(_ state: Named) -> AppError? {
        switch state {
        case .booking(let status): status == .active ? nil : .bookingAlreadyCancelled
        case .hold(let status): status == .held ? nil : .holdNotActive
        case .entry(let status): status.isOpen ? nil : .waitlistEntryEnded
        }
    }
}

/// The working state of one decision.
private struct Decider {
    /// A waiting-list entry as the decision sees it: an existing one, or one it created (`ref` new).
    struct Entry {
        let ref: RecordRef
        var facts: StockSnapshot.EntryFacts
        /// Its pending offer's hold.
        var offer: RecordRef?

        var id: Int? {
            if case .existing(let id) = ref { return id }
            return nil
        }
    }

    /// A hold as the decision sees it: an existing one, or one it made (an offer it may withdraw again).
    struct Held {
        let ref: RecordRef
        let userID: Int
        let quantity: Int
        var status: Hold.Status
        let expiresAt: Date
        let entry: RecordRef?
        let passed: PassedEntries?
        let bookingID: Int?
        let span: Span
    }

    var snapshot: StockSnapshot
    let policy: StockPolicy
    let now: Date
    var plan = StockPlan()
    /// The stock of each period (``StockSnapshot/stock``), as the plan leaves it so far.
    var stocks: [PeriodKey: Stock]
    /// Each user's units in each period, as the plan leaves them so far.
    var owned: [Int: [PeriodKey: StockSnapshot.Owned]]
    var limits: UserLimits
    var waitingCount: Int
    var entries: [Entry]
    var holds: [RecordRef: Held]
    var newBookings = 0, newHolds = 0, newEntries = 0
    /// The bookings holds became in this plan.
    var confirmedHolds: [Int: RecordRef] = [:]
    /// The last entry waiting, which a take passes every waiting entry up to.
    var lastWaiting: RecordRef?
    var changedPeriods: Set<PeriodKey> = []
    var limitsChanged = false, waitingChanged = false

    init(snapshot: StockSnapshot, policy: StockPolicy, now: Date) {
        self.snapshot = snapshot
        self.policy = policy
        self.now = now
        stocks = snapshot.stock
        owned = snapshot.ownedInPeriods
        for (userID, units) in snapshot.owned { owned[userID, default: [:]][.whole] = units }
        limits = snapshot.resource.limits
        waitingCount = snapshot.waitingCount
        entries = snapshot.entries.map { Entry(ref: .existing($0.id), facts: $0, offer: $0.offerHoldID.map(RecordRef.existing)) }
        holds = Dictionary(uniqueKeysWithValues: snapshot.holds.values.map {
            (RecordRef.existing($0.id),
             Held(ref: .existing($0.id), userID: $0.userID, quantity: $0.quantity, status: $0.status, expiresAt: $0.expiresAt,
                  entry: $0.entryID.map(RecordRef.existing), passed: $0.passedThrough.map { .upTo(.existing($0)) }, bookingID: $0.bookingID,
                  span: $0.span))
        })
        lastWaiting = snapshot.lastWaitingEntryID.map(RecordRef.existing)
    }

    func finished() -> StockPlan {
        var plan = self.plan
        for key in changedPeriods { plan.stock[key] = stocks[key] }
        if limitsChanged { plan.limits = limits }
        if waitingChanged { plan.waitingCount = waitingCount }
        return plan
    }

    // MARK: Moving units

    /// A pool's stock (for a dated resource: its capacity per period). The waiting list serves pools only.
    var stock: Stock {
        get { stocks[.whole] ?? Stock(total: 0, available: 0) }
        set { stocks[.whole] = newValue; changedPeriods.insert(.whole) }
    }

    /// The stock of one period: as stored or as the plan left it; for a dated resource's period with none
    /// stored, its capacity, all available.
    func stock(in key: PeriodKey) -> Stock {
        stocks[key] ?? Stock(total: capacity(of: key), available: capacity(of: key))
    }

    /// A period's capacity: its date's own, or the resource's.
    func capacity(of key: PeriodKey) -> Int {
        snapshot.schedule.flatMap { snapshot.calendar[$0.date(of: key).dayNumber] } ?? stock.total
    }

    /// Moves units in every period of `span`.
    mutating func move(_ span: Span = .whole, available: Int = 0, held: Int = 0) {
        for key in span.keys {
            stocks[key] = stock(in: key).moving(available: available, held: held)
            changedPeriods.insert(key)
        }
    }

    /// The stock an event of `span` carries: a pool's, or the stock of its period with the fewest units left.
    func eventStock(_ span: Span) -> Stock {
        span.keys.map { stock(in: $0) }.min { $0.available < $1.available } ?? stock
    }

    /// Details of an event of `span`: a dated record's start and end, its resource's time zone (which
    /// e-mail shows the hold's expiry in), and each of its periods with its stock as the change left it.
    func rangeDetails(_ span: Span, _ details: [String: EventValue] = [:]) -> [String: EventValue] {
        guard let range = span.range, let schedule = snapshot.schedule else { return details }
        let writtenKeys = schedule.written(span.keys)
        let periods: [[String: EventValue]] = span.keys.compactMap { key in
            guard let written = writtenKeys[key] else { return nil }
            let stock = stock(in: key)
            return ["start": .string(written.start), "end": .string(written.end), "total": .int(stock.total),
                    "available": .int(stock.available), "held": .int(stock.held)]
        }
        return details.merging(["start": .string(range.start), "end": .string(range.end), "time_zone": .string(schedule.zone.identifier),
                                "periods": .objects(periods)]) { $1 }
    }

    mutating func owns(_ userID: Int, in span: Span = .whole, booked: Int = 0, held: Int = 0) {
        for key in span.keys {
            var units = owned[userID]?[key] ?? StockSnapshot.Owned()
            units.booked += booked
            units.held += held
            owned[userID, default: [:]][key] = units
        }
    }

    /// What `userID` has in the period of `span` where they have the most (and the most held), which is
    /// where a limit binds first.
    func mostOwned(by userID: Int, in span: Span) -> (total: Int, held: Int) {
        let units = span.keys.map { owned[userID]?[$0] ?? StockSnapshot.Owned() }
        return (units.map(\.total).max() ?? 0, units.map(\.held).max() ?? 0)
    }

    mutating func newBooking() -> RecordRef {
        defer { newBookings += 1 }
        return .new(newBookings)
    }

    mutating func newHold() -> RecordRef {
        defer { newHolds += 1 }
        return .new(newHolds)
    }

    mutating func newEntry() -> RecordRef {
        defer { newEntries += 1 }
        return .new(newEntries)
    }

    /// An event of this resource, under its name as it is now.
    func event(_ type: EventType, at: Date, by actor: EventActor, subject: PlannedSubject, quantity: Int? = nil, stock: Stock?,
               details: [String: EventValue] = [:]) -> PlannedEvent {
        PlannedEvent(type, of: snapshot.resource.name, at: at, by: actor, subject: subject, quantity: quantity, stock: stock, details: details)
    }

    // MARK: Limits

    /// Why `userID` may not take `quantity` more units in every period of `span` (as a hold or an offer
    /// when `holding`); nil if they may. A limit per user counts units in each period.
    func refusal(taking quantity: Int, holding: Bool, for userID: Int, in span: Span = .whole) -> AppError? {
        let owned = mostOwned(by: userID, in: span)
        do {
            try limits.check(taking: quantity, owned: owned.total)
            if holding { try policy.checkHolding(quantity, held: owned.held, under: limits) }
            return nil
        } catch {
            return error
        }
    }

    // MARK: Passes

    /// The waiting entries (but `except`'s) among `which` whose periods overlap `span`'s are passed by
    /// `units` (negative: given back). On a pool every entry overlaps.
    mutating func pass(_ units: Int, except: Int?, _ which: PassedEntries, within span: Span) {
        plan.moves.append(.pass(units: units, except: except, entries: which, within: span.range))
        for index in entries.indices where entries[index].facts.status == .waiting && entries[index].facts.userID != except
            && entries[index].facts.span.overlaps(span) {
            let included = switch which {
            case .upTo(let last): Self.entry(entries[index].ref, comesBefore: last, orIs: true)
            case .before(let next): Self.entry(entries[index].ref, comesBefore: next, orIs: false)
            }
            if included { entries[index].facts.passedUnits = max(0, entries[index].facts.passedUnits + units) }
        }
    }

    /// Whether entry `ref` joined before `other` (or is it, when `inclusive`): existing entries by id, and
    /// all before those the plan makes, which join in the order it makes them.
    static func entry(_ ref: RecordRef, comesBefore other: RecordRef, orIs inclusive: Bool) -> Bool {
        switch (ref, other) {
        case (.existing(let a), .existing(let b)), (.new(let a), .new(let b)): inclusive ? a <= b : a < b
        case (.existing, .new): true
        case (.new, .existing): false
        }
    }

    /// An entry stopped waiting: if it was the last one, the one before it is last now (known when the
    /// snapshot has them all; otherwise the old one stays, which passes the same waiting entries).
    mutating func stoppedWaiting(_ ref: RecordRef) {
        guard ref == lastWaiting, snapshot.entriesComplete else { return }
        lastWaiting = entries.last { $0.facts.status == .waiting }?.ref
    }

    /// A take of `units` by `userID` in `span` passes every entry waiting for any of its periods but their
    /// own; what it passed is kept with it.
    mutating func overtake(by units: Int, for userID: Int, in span: Span) -> PassedEntries? {
        guard waitingCount > 0, let last = lastWaiting else { return nil }
        pass(units, except: userID, .upTo(last), within: span)
        return .upTo(last)
    }

    /// Units that come back no longer count as having passed the entries their take passed.
    mutating func giveBack(_ units: Int, passed: PassedEntries?, of userID: Int, in span: Span) {
        guard let passed else { return }
        pass(-units, except: userID, passed, within: span)
    }

    /// The units free in every period of `span`: the least of them (a pool's available units).
    func free(in span: Span) -> Int {
        span.range == nil ? stock.available : span.keys.map { stock(in: $0).available }.min() ?? 0
    }

    /// The units `span` could ever have at once: the least total of its periods (a pool's total).
    func total(of span: Span) -> Int {
        span.range == nil ? stock.total : span.keys.map { stock(in: $0).total }.min() ?? 0
    }

    // MARK: The waiting list

    /// Why a take in `span` may not have the free units: they gather for a barrier (an entry waiting for
    /// any of its periods, overtaken by its quantity already, whose user may take it). nil when none stands.
    mutating func waitlistRefusal(in span: Span) -> AppError? {
        guard waitingCount > 0 else { return nil }
        for entry in entries where entry.facts.status == .waiting && entry.facts.userIsActive && entry.facts.span.overlaps(span) {
            let facts = entry.facts
            guard facts.passedUnits >= facts.quantity else { continue }
            let mayTake = refusal(taking: facts.quantity, holding: true, for: facts.userID, in: facts.span) == nil
            if WaitlistServing.blocksPublic(quantity: facts.quantity, passedUnits: facts.passedUnits, total: total(of: facts.span),
                                            limits: limits, mayTake: mayTake) {
                return .reservedForWaitlist(available: free(in: span), waiting: waitingCount)
            }
        }
        if !snapshot.entriesComplete { plan.needsMoreEntries = true }
        return nil
    }

    /// Serves the list (``WaitlistServing``): entries in the order they joined, each that fits the units not
    /// yet offered gets an offer, until they run out or a barrier stops the walk. `joined`: the entry that
    /// joined in this plan, whose offer (if it gets one at once) lasts no longer than a hold.
    ///
    /// On a dated resource each entry is served on its own periods: it is offered its units when every
    /// period of its range has them, and a barrier stops only the entries behind it that share a period
    /// with it (the walk goes on for the others).
    mutating func serve(joined: RecordRef? = nil) {
        let dated = snapshot.schedule != nil
        guard waitingCount > 0, dated || stock.available > 0 else { return }
        var offered = 0
        var walkedToEnd = true
        var barriers: [Span] = []
        for index in entries.indices {
            let facts = entries[index].facts
            guard facts.status == .waiting, facts.userIsActive, !barriers.contains(where: { $0.overlaps(facts.span) }) else { continue }
            let free = free(in: facts.span)
            guard facts.quantity <= free || facts.passedUnits >= facts.quantity else { continue }
            let mayTake = refusal(taking: facts.quantity, holding: true, for: facts.userID, in: facts.span) == nil
            switch WaitlistServing.decide(quantity: facts.quantity, passedUnits: facts.passedUnits, free: free,
                                          total: total(of: facts.span), limits: limits, mayTake: mayTake) {
            case .skip:
                continue
            case .stop:
                if dated {
                    barriers.append(facts.span)
                    continue
                }
                walkedToEnd = false
            case .offer:
                offer(index, lasting: entries[index].ref == joined ? policy.immediateOfferTTL : policy.offerTTL)
                offered += 1
            }
            if !dated, !walkedToEnd || stock.available == 0 {
                walkedToEnd = false
                break
            }
        }
        if walkedToEnd, dated || stock.available > 0, !snapshot.entriesComplete { plan.needsMoreEntries = true }
        if offered > 0 {
            waitingCount -= offered
            waitingChanged = true
            plan.report.offersMade += offered
        }
    }

    /// An entry's offer: a hold of its units for its user; every entry still waiting ahead of it has been
    /// passed by that many units.
    mutating func offer(_ index: Int, lasting ttl: TimeInterval) {
        let entry = entries[index], quantity = entry.facts.quantity, userID = entry.facts.userID, span = entry.facts.span
        let until = now.addingTimeInterval(ttl), hold = newHold()
        plan.moves.append(.insertHold(userID: userID, quantity: quantity, span: span, until: until, entry: entry.ref,
                                      passed: .before(entry.ref), at: now))
        holds[hold] = Held(ref: hold, userID: userID, quantity: quantity, status: .held, expiresAt: until, entry: entry.ref,
                           passed: .before(entry.ref), bookingID: nil, span: span)
        move(span, available: -quantity, held: quantity)
        owns(userID, in: span, held: quantity)
        plan.events.append(event(.waitlistOffered, at: now, by: .system,
                                 subject: PlannedSubject(hold: hold, entry: entry.ref, userID: userID),
                                 quantity: quantity, stock: eventStock(span), details: rangeDetails(span, ["expires_at": .date(until)])))
        plan.moves.append(.offerEntry(entry.ref, at: now))
        entries[index].facts.status = .offered
        entries[index].offer = hold
        stoppedWaiting(entry.ref)
        pass(quantity, except: nil, .before(entry.ref), within: span)
    }

    // MARK: The lock's own work

    /// Reclaims the holds that have lapsed (each its own event, at the moment it lapsed, with the stock
    /// once all are back), then serves the list.
    mutating func settle() {
        let lapsed = holds.values.filter { $0.status == .held && Hold.hasLapsed(expiresAt: $0.expiresAt, at: now) }
            .sorted { Self.entry($0.ref, comesBefore: $1.ref, orIs: false) }
        guard !lapsed.isEmpty else { return serve() }
        for hold in lapsed {
            end(hold, as: .expired, at: hold.expiresAt)
            if hold.entry != nil { plan.report.offersExpired += 1 }
            move(hold.span, available: hold.quantity, held: -hold.quantity)
        }
        for hold in lapsed {
            plan.events.append(event(hold.entry == nil ? .holdExpired : .waitlistExpired, at: hold.expiresAt, by: .system,
                                     subject: PlannedSubject(hold: hold.ref, entry: hold.entry, userID: hold.userID),
                                     quantity: hold.quantity, stock: eventStock(hold.span), details: rangeDetails(hold.span)))
        }
        plan.report.holdsExpired += lapsed.count
        plan.reclaimed = lapsed.count
        serve()
    }

    /// A held hold ends (released or expired): an offer's entry ends with it, and its units no longer count
    /// as having passed anyone. The caller moves the units.
    mutating func end(_ hold: Held, as status: Hold.Status, at: Date) {
        holds[hold.ref]?.status = status
        plan.moves.append(.endHold(hold.ref, status: status, at: at))
        if let entry = hold.entry {
            endEntry(entry, of: hold.userID, as: status == .expired ? .expired : .declined, from: .offered, at: at, removal: nil)
        }
        giveBack(hold.quantity, passed: hold.passed, of: hold.userID, in: hold.span)
        owns(hold.userID, in: hold.span, held: -hold.quantity)
    }

    // MARK: Requests

    mutating func decide(_ request: StockRequest) -> Result<StockOutcome, AppError> {
        switch request {
        case .book(let userID, let quantity, let span):
            take(quantity, for: userID, holdingUntil: nil, span: span)
        case .hold(let userID, let quantity, let until, let span):
            take(quantity, for: userID, holdingUntil: until, span: span)
        case .confirm(let holdID, let actor):
            confirm(holdID, by: actor)
        case .release(let holdID, let actor):
            release(.existing(holdID), by: actor).map(Result.failure) ?? .success(.released(holdID: holdID))
        case .cancel(let bookingID, let actor):
            cancel(bookingID, by: actor)
        case .update(let edit, let actor):
            update(edit, by: actor)
        case .setCapacity(let date, let total, let actor):
            setCapacity(on: date, to: total, by: actor)
        case .join(let userID, let quantity, let span):
            join(quantity, for: userID, in: span)
        case .leave(let entryID, let removal, let actor):
            leave(entryID, removal: removal, by: actor)
        case .decline(let entryID, let actor):
            decline(entryID, by: actor)
        }
    }

    /// A booking (`holdingUntil` nil) or a hold: the user's limits, then the waiting list, then the units,
    /// in every period of `span` or in none.
    mutating func take(_ quantity: Int, for userID: Int, holdingUntil until: Date?, span: Span) -> Result<StockOutcome, AppError> {
        let holding = until != nil
        if let refusal = refusal(taking: quantity, holding: holding, for: userID, in: span) { return .failure(refusal) }
        if let refusal = waitlistRefusal(in: span) { return .failure(refusal) }
        if let refusal = shortfall(of: quantity, in: span) { return .failure(refusal) }
        let passed = overtake(by: quantity, for: userID, in: span)
        if let until {
            let hold = newHold()
            plan.moves.append(.insertHold(userID: userID, quantity: quantity, span: span, until: until, entry: nil, passed: passed, at: now))
            holds[hold] = Held(ref: hold, userID: userID, quantity: quantity, status: .held, expiresAt: until, entry: nil, passed: passed,
                               bookingID: nil, span: span)
            move(span, available: -quantity, held: quantity)
            owns(userID, in: span, held: quantity)
            plan.events.append(event(.holdCreated, at: now, by: .user(userID), subject: PlannedSubject(hold: hold, userID: userID),
                                     quantity: quantity, stock: eventStock(span), details: rangeDetails(span, ["expires_at": .date(until)])))
            return .success(.held(hold: hold))
        }
        let booking = newBooking()
        plan.moves.append(.insertBooking(userID: userID, quantity: quantity, span: span, hold: nil, passed: passed, at: now))
        move(span, available: -quantity)
        owns(userID, in: span, booked: quantity)
        plan.events.append(event(.bookingCreated, at: now, by: .user(userID), subject: PlannedSubject(booking: booking, userID: userID),
                                 quantity: quantity, stock: eventStock(span), details: rangeDetails(span)))
        return .success(.booked(booking: booking))
    }

    /// Why `quantity` units cannot be taken in every period of `span`: a pool's `insufficientQuantity`, or
    /// a dated resource's short periods, each with what is left. nil when they all have enough.
    func shortfall(of quantity: Int, in span: Span) -> AppError? {
        guard span.range != nil else {
            return stock.available >= quantity ? nil : .insufficientQuantity(requested: quantity, available: stock.available)
        }
        let short = span.keys.filter { stock(in: $0).available < quantity }
        guard !short.isEmpty else { return nil }
        if let closed = short.first(where: { stock(in: $0).total == 0 }), let schedule = snapshot.schedule {
            return .invalidPeriod(reason: "\(schedule.date(of: closed)) is closed.")
        }
        let writtenKeys = snapshot.schedule?.written(short) ?? [:]
        let periods = short.map { key in
            let written = writtenKeys[key]
            return PeriodShortfall(start: written?.start ?? "\(key)", end: written?.end ?? "\(key)", available: stock(in: key).available)
        }
        return .insufficientInPeriods(requested: quantity, available: periods.map(\.available).min() ?? 0, periods: periods)
    }

    /// A hold becomes a booking, exactly once. A lapsed hold (not an offer) is confirmed only if its units
    /// can be taken again now, as a new booking would be.
    mutating func confirm(_ holdID: Int, by actor: EventActor) -> Result<StockOutcome, AppError> {
        let ref = RecordRef.existing(holdID)
        guard let hold = holds[ref] else { return .failure(.holdNotFound) }
        var passed = hold.passed
        switch hold.status {
        case .confirmed:
            guard let booking = confirmedHolds[holdID] ?? hold.bookingID.map(RecordRef.existing) else { return .failure(.holdNotFound) }
            return .success(.confirmed(booking: booking, created: false))
        case .released:
            return .failure(.holdNotActive)
        case .held:
            move(hold.span, held: -hold.quantity)
            owns(hold.userID, in: hold.span, booked: hold.quantity, held: -hold.quantity)
            if let entry = hold.entry {
                endEntry(entry, of: hold.userID, as: .accepted, from: .offered, removal: nil)
                plan.report.offersAccepted += 1
            }
        case .expired:
            let left = eventStock(hold.span).available
            guard hold.entry == nil else { return .failure(.holdExpired(available: left)) }
            if let refusal = waitlistRefusal(in: hold.span) { return .failure(refusal) }
            if let refusal = refusal(taking: hold.quantity, holding: false, for: hold.userID, in: hold.span) { return .failure(refusal) }
            guard left >= hold.quantity else { return .failure(.holdExpired(available: left)) }
            passed = overtake(by: hold.quantity, for: hold.userID, in: hold.span)
            move(hold.span, available: -hold.quantity)
            owns(hold.userID, in: hold.span, booked: hold.quantity)
        }
        let booking = newBooking()
        plan.moves.append(.confirmHold(id: holdID, booking: booking, at: now))
        plan.moves.append(.insertBooking(userID: hold.userID, quantity: hold.quantity, span: hold.span, hold: ref, passed: passed, at: now))
        holds[ref]?.status = .confirmed
        confirmedHolds[holdID] = booking
        plan.events.append(event(hold.entry == nil ? .holdConfirmed : .waitlistAccepted, at: now, by: actor,
                                 subject: PlannedSubject(booking: booking, hold: ref, entry: hold.entry, userID: hold.userID),
                                 quantity: hold.quantity, stock: eventStock(hold.span), details: rangeDetails(hold.span)))
        return .success(.confirmed(booking: booking, created: true))
    }

    /// A held hold's units come back, exactly once; an offer's entry is declined. With `actor`, the
    /// release's event is written (without, the caller wrote its own: an entry leaving).
    mutating func release(_ ref: RecordRef, by actor: EventActor?) -> AppError? {
        guard let hold = holds[ref] else { return .holdNotFound }
        if let refusal = StockDecision.finalRefusal(.hold(hold.status)) { return refusal }
        end(hold, as: .released, at: now)
        if hold.entry != nil { plan.report.offersDeclined += 1 }
        move(hold.span, available: hold.quantity, held: -hold.quantity)
        if let actor {
            plan.events.append(event(hold.entry == nil ? .holdReleased : .waitlistDeclined, at: now, by: actor,
                                     subject: PlannedSubject(hold: ref, entry: hold.entry, userID: hold.userID),
                                     quantity: hold.quantity, stock: eventStock(hold.span), details: rangeDetails(hold.span)))
        }
        serve()
        return nil
    }

    mutating func cancel(_ bookingID: Int, by actor: EventActor) -> Result<StockOutcome, AppError> {
        guard let booking = snapshot.bookings[bookingID] else { return .failure(.bookingNotFound) }
        if let refusal = StockDecision.finalRefusal(.booking(booking.status)) { return .failure(refusal) }
        snapshot.bookings[bookingID]?.status = .cancelled
        plan.moves.append(.cancelBooking(id: bookingID, at: now))
        giveBack(booking.quantity, passed: booking.passedThrough.map { .upTo(.existing($0)) }, of: booking.userID, in: booking.span)
        move(booking.span, available: booking.quantity)
        owns(booking.userID, in: booking.span, booked: -booking.quantity)
        plan.events.append(event(.bookingCancelled, at: now, by: actor, subject: PlannedSubject(booking: .existing(bookingID), userID: booking.userID),
                                 quantity: booking.quantity, stock: eventStock(booking.span), details: rangeDetails(booking.span)))
        serve()
        return .success(.cancelled(bookingID: bookingID))
    }

    /// A new total moves the available units by the same delta, never below what is booked and held; new
    /// limits may let waiting entries through. The event carries what changed.
    mutating func update(_ edit: ResourceEdit, by actor: EventActor) -> Result<StockOutcome, AppError> {
        if let total = edit.total {
            // A dated resource's periods (every one with stock stored is loaded) move with its capacity.
            let delta = total - stock.total
            let periods = snapshot.schedule == nil ? [] : stocks.keys.filter { $0 != .whole && !hasOwnCapacity($0) }
            if let short = periods.map({ stock(in: $0) }).min(by: { $0.available < $1.available }), short.available + delta < 0 {
                return .failure(.totalBelowBooked(booked: short.booked, held: short.held))
            }
            let available = stock.available + delta
            guard available >= 0 else { return .failure(.totalBelowBooked(booked: stock.booked, held: stock.held)) }
            for key in periods where delta != 0 {
                let old = stock(in: key)
                stocks[key] = Stock(total: old.total + delta, available: old.available + delta, held: old.held)
                changedPeriods.insert(key)
            }
            stock = Stock(total: total, available: available, held: stock.held)
        }
        if let maxPerUser = edit.maxPerUser { limits.maxPerUser = maxPerUser; limitsChanged = true }
        if let maxPerBooking = edit.maxPerBooking { limits.maxPerBooking = maxPerBooking; limitsChanged = true }
        if let name = edit.name { snapshot.resource.name = name }
        if let description = edit.description { snapshot.resource.description = description }
        var details: [String: EventValue] = [
            "name": .string(snapshot.resource.name), "description": .string(snapshot.resource.description),
            "max_per_user": EventValue(limits.maxPerUser), "max_per_booking": EventValue(limits.maxPerBooking),
        ]
        details["changed"] = .strings(edit.fields)
        plan.events.append(event(.resourceUpdated, at: now, by: actor, subject: PlannedSubject(), stock: stock, details: details))
        serve()
        return .success(.updated)
    }

    /// Whether a period's date has a capacity of its own (which a new total for the resource leaves alone).
    func hasOwnCapacity(_ key: PeriodKey) -> Bool {
        snapshot.schedule.map { snapshot.calendar[$0.date(of: key).dayNumber] != nil } ?? false
    }

    /// A date's capacity: every period of it gets `total` units (nil: the resource's own again), moving
    /// its available units by the same delta, never below what is taken in it.
    mutating func setCapacity(on date: LocalDate, to total: Int?, by actor: EventActor) -> Result<StockOutcome, AppError> {
        guard let schedule = snapshot.schedule else { return .failure(.invalidPeriod(reason: "This resource is a pool: it has no dates.")) }
        let keys = schedule.periods(from: date, to: date.adding(days: 1)).map(\.key)
        let new = total ?? stock.total
        var changed: [PeriodKey: Stock] = [:]
        for key in keys {
            let old = stock(in: key)
            let available = old.available + new - old.total
            guard available >= 0 else { return .failure(.totalBelowBooked(booked: old.booked, held: old.held)) }
            changed[key] = Stock(total: new, available: available, held: old.held)
        }
        for (key, stock) in changed where stocks[key] != nil {
            stocks[key] = stock
            changedPeriods.insert(key)
        }
        snapshot.calendar[date.dayNumber] = total
        plan.moves.append(.setCalendar(date: date, total: total))
        plan.events.append(event(.resourceUpdated, at: now, by: actor, subject: PlannedSubject(), stock: stock,
                                 details: ["changed": .strings(["calendar"]), "date": .string("\(date)"), "total_quantity": EventValue(total)]))
        return .success(.capacitySet)
    }

    /// A new entry at the end of the line, for no more than its user could hold; then the list is served,
    /// and if nobody ahead can use the free units it is offered them at once.
    mutating func join(_ quantity: Int, for userID: Int, in span: Span) -> Result<StockOutcome, AppError> {
        if let refusal = refusal(taking: quantity, holding: false, for: userID, in: span) { return .failure(refusal) }
        if limits.maxPerUser == nil, let most = policy.maxEntryQuantity(under: limits), quantity > most {
            return .failure(.perUserHoldLimit(max: most, remaining: most))
        }
        let most = total(of: span)
        guard WaitlistServing.canServe(quantity: quantity, total: most, limits: limits) else {
            let which = span.range == nil ? "the resource's total" : "the least total of the range's periods"
            return .failure(.invalidField(field: "quantity", reason: "quantity cannot exceed \(which) of \(most) unit(s)"))
        }
        guard !snapshot.usersWaiting.contains(userID) else { return .failure(.alreadyWaiting) }
        snapshot.usersWaiting.insert(userID)
        let entry = newEntry()
        plan.moves.append(.insertEntry(userID: userID, quantity: quantity, span: span, at: now))
        entries.append(Entry(ref: entry, facts: StockSnapshot.EntryFacts(id: -1, userID: userID, quantity: quantity, status: .waiting,
                                                                          passedUnits: 0, userIsActive: true, offerHoldID: nil, span: span)))
        waitingCount += 1
        waitingChanged = true
        lastWaiting = entry
        plan.events.append(event(.waitlistJoined, at: now, by: .user(userID), subject: PlannedSubject(entry: entry, userID: userID),
                                 quantity: quantity, stock: eventStock(span), details: rangeDetails(span)))
        serve(joined: entry)
        return .success(.joined(entry: entry))
    }

    /// An open entry leaves the list (its owner) or is removed (an admin, with a reason); a pending offer
    /// is withdrawn and its units pass on.
    mutating func leave(_ entryID: Int, removal: WaitlistRemoval?, by actor: EventActor) -> Result<StockOutcome, AppError> {
        let ref = RecordRef.existing(entryID)
        guard let index = entries.firstIndex(where: { $0.ref == ref }) else { return .failure(.waitlistEntryNotFound) }
        let facts = entries[index].facts
        if let refusal = StockDecision.finalRefusal(.entry(facts.status)) { return .failure(refusal) }
        let offer = facts.status == .offered ? entries[index].offer.flatMap { holds[$0] } : nil
        let units = offer?.quantity ?? 0
        var details: [String: EventValue] = [:]
        if let removal { details["reason"] = .string(removal.reason) }
        // The event first: it is what the caller did; any offer its units lead to comes after it.
        plan.events.append(event(removal == nil ? .waitlistLeft : .waitlistRemoved, at: now, by: actor,
                                 subject: PlannedSubject(hold: offer?.ref, entry: ref, userID: facts.userID),
                                 quantity: facts.quantity, stock: eventStock(facts.span).moving(available: units, held: -units),
                                 details: rangeDetails(facts.span, details)))
        endEntry(ref, of: facts.userID, as: removal == nil ? .left : .removed, from: facts.status, removal: removal)
        if facts.status == .waiting {
            waitingCount -= 1
            waitingChanged = true
            serve()
        } else if let offer {
            _ = release(offer.ref, by: nil)
        }
        return .success(.left(entryID: entryID))
    }

    mutating func decline(_ entryID: Int, by actor: EventActor) -> Result<StockOutcome, AppError> {
        guard let entry = entries.first(where: { $0.ref == .existing(entryID) }) else { return .failure(.waitlistEntryNotFound) }
        guard entry.facts.status == .offered, let offer = entry.offer else { return .failure(.noPendingOffer) }
        if let refusal = release(offer, by: actor) { return .failure(refusal) }
        return .success(.declined(entryID: entryID))
    }

    /// An entry of `userID` ends as `status` if it is still `from` (now, unless `at` says when): its user
    /// has no place in the list any more and may join again.
    mutating func endEntry(_ ref: RecordRef, of userID: Int, as status: WaitlistEntry.Status, from: WaitlistEntry.Status, at: Date? = nil,
                           removal: WaitlistRemoval?) {
        if let index = entries.firstIndex(where: { $0.ref == ref }) {
            guard entries[index].facts.status == from else { return }
            entries[index].facts.status = status
            if from == .waiting { stoppedWaiting(ref) }
        }
        snapshot.usersWaiting.remove(userID)
        plan.moves.append(.endEntry(ref, status: status, from: from, at: at ?? now, removal: removal))
    }
}
