import BookingDomain
import Foundation
import SQLKit

/// How the inventory decides anything: lock the resource, load what the decision reads, let
/// ``StockDecision`` decide, apply what it decided. Nothing else writes stock but the one-statement take
/// (``SQLInventory/takeInOneStatement(_:of:named:)``), which is that rule specialised for a resource it fully
/// covers and proven equal to it by property tests.
///
/// **Lock order**, the same in every transaction on every server, so that none can deadlock with another:
/// the resource's row first (`SELECT … FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` takes its one lock
/// before), then its periods' rows in ``PeriodKey`` order, then the records of the requests (holds,
/// bookings, entries), which change only under their resource's lock.
struct LockedStock {
    let tx: SQLStorage
    /// The resource as locked (before the decision).
    let resource: Resource
    let now: Date

    var session: SQLSession { tx.session }

    /// Locks `reference`'s resource for the rest of the transaction; nil when there is none.
    static func lock(_ reference: ResourceReference, at now: Date, in tx: SQLStorage) async throws -> LockedStock? {
        guard let row = try await tx.session.sql.raw("""
            SELECT \(Resource.columns) FROM resources WHERE \(Resource.matching(reference))\(tx.session.lockRows)
            """).first() else { return nil }
        return LockedStock(tx: tx, resource: try Resource(row: row), now: now)
    }

    /// The records of a plan's new rows, by kind, in the order the plan made them.
    struct Created {
        var bookings: [Int] = []
        var holds: [Int] = []
        var entries: [Int] = []

        func id(_ ref: RecordRef, in kind: KeyPath<Created, [Int]>) -> Int {
            switch ref {
            case .existing(let id): id
            case .new(let index): self[keyPath: kind][index]
            }
        }
    }

    /// What a decision came to, applied: the plan, the ids of the rows it made, and the resource after it.
    struct Applied {
        let plan: StockPlan
        let created: Created
        let resource: Resource

        func booking(_ ref: RecordRef) -> Int { created.id(ref, in: \.bookings) }
        func hold(_ ref: RecordRef) -> Int { created.id(ref, in: \.holds) }
        func entry(_ ref: RecordRef) -> Int { created.id(ref, in: \.entries) }
    }

    /// Decides `requests` on the locked resource and applies the plan. The requests' records must be ones
    /// of this resource (the caller checked whose they are).
    func decide(_ requests: [StockRequest], holds holdIDs: Set<Int> = [], bookings bookingIDs: Set<Int> = [],
                entries entryIDs: Set<Int> = []) async throws -> Applied {
        var snapshot = try await load(requests, holds: holdIDs, bookings: bookingIDs, entries: entryIDs, page: 200)
        var plan = StockDecision.decide(snapshot, requests, policy: tx.policy, at: now)
        var page = 200
        while plan.needsMoreEntries {
            page *= 8
            snapshot = try await load(requests, holds: holdIDs, bookings: bookingIDs, entries: entryIDs, page: page)
            plan = StockDecision.decide(snapshot, requests, policy: tx.policy, at: now)
        }
        return try await apply(plan)
    }

    /// The periods a take of `range` names on this resource, read with its schedule under its lock: a
    /// pool's `whole` (a pool takes no range), or the dated resource's periods of the range, or why they
    /// cannot be taken (`invalid_period`).
    func span(of range: PeriodRange?) -> Result<Span, AppError> {
        guard let schedule = resource.schedule else {
            return range == nil ? .success(.whole) : .failure(.invalidPeriod(reason: "This resource is a pool: it takes no start or end."))
        }
        guard let range else {
            let example = schedule.kind == .slots ? "a time with its offset, 2026-12-10T09:00:00+01:00" : "a date, 2026-12-10"
            return .failure(.invalidPeriod(reason: "This resource is booked by \(schedule.kind == .slots ? "slots" : schedule.kind == .daily ? "days" : "nights"): start is required (\(example))."))
        }
        do {
            return .success(schedule.span(of: try schedule.periods(of: range, now: Int64(now.timeIntervalSince1970.rounded(.down)))))
        } catch {
            return .failure(.invalidPeriod(reason: error.reason))
        }
    }

    /// The span of a stored booking's or hold's range on this resource.
    func span(of range: TakenRange?) -> Span {
        guard let range, let schedule = resource.schedule else { return .whole }
        return Span(keys: schedule.keys(of: range), range: range)
    }

    // MARK: Loading

    private func load(_ requests: [StockRequest], holds holdIDs: Set<Int>, bookings bookingIDs: Set<Int>, entries entryIDs: Set<Int>,
                      page: Int) async throws -> StockSnapshot {
        let sql = session.sql, resourceID = resource.id
        var snapshot = StockSnapshot(
            resource: .init(id: resourceID, name: resource.name, description: resource.description, limits: resource.limits),
            stock: [.whole: resource.stock], waitingCount: resource.waitingEntries, schedule: resource.schedule)
        // The holds that have lapsed (the lock reclaims them), and those the requests name.
        let named: SQLQueryString = holdIDs.isEmpty ? "" : " OR id IN (\(Self.list(holdIDs)))"
        for row in try await sql.raw("""
            SELECT id, user_id, quantity, status, expires_at, waitlist_entry_id, passed_through,
                   (SELECT b.id FROM bookings b WHERE b.hold_id = holds.id) AS booking_id, \(TakenRange.columns("holds"))
            FROM holds
            WHERE resource_id = \(bind: resourceID) AND ((status = \(bind: Hold.Status.held.rawValue) AND \(Hold.lapsed(at: now)))\(named))
            """).all() {
            let hold = StockSnapshot.HoldFacts(
                id: try row.decode(column: "id", as: Int.self), userID: try row.decode(column: "user_id", as: Int.self),
                quantity: try row.decode(column: "quantity", as: Int.self),
                status: Hold.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .held,
                expiresAt: try row.decode(column: "expires_at", as: Date.self), entryID: try row.decode(column: "waitlist_entry_id", as: Int?.self),
                passedThrough: try row.decode(column: "passed_through", as: Int?.self), bookingID: try row.decode(column: "booking_id", as: Int?.self),
                span: span(of: try TakenRange(row: row)))
            snapshot.holds[hold.id] = hold
        }
        if !bookingIDs.isEmpty {
            for row in try await sql.raw("""
                SELECT id, user_id, purchase_quantity, status, passed_through, \(TakenRange.columns("bookings")) FROM bookings
                WHERE resource_id = \(bind: resourceID) AND id IN (\(Self.list(bookingIDs)))
                """).all() {
                let booking = StockSnapshot.BookingFacts(
                    id: try row.decode(column: "id", as: Int.self), userID: try row.decode(column: "user_id", as: Int.self),
                    quantity: try row.decode(column: "purchase_quantity", as: Int.self),
                    status: Booking.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .active,
                    passedThrough: try row.decode(column: "passed_through", as: Int?.self), span: span(of: try TakenRange(row: row)))
                snapshot.bookings[booking.id] = booking
            }
        }
        // The waiting list: entries that could be offered units or stop others in this decision, and those named.
        let joins = requests.compactMap { request -> Int? in
            if case .join(let userID, _, _) = request { return userID }
            return nil
        }
        if resource.waitingEntries > 0 || !entryIDs.isEmpty || !joins.isEmpty {
            let returned = snapshot.holds.values.reduce(0) { $0 + $1.quantity } + snapshot.bookings.values.reduce(0) { $0 + $1.quantity }
            let (quantityAtMost, passesAtMost) = StockDecision.entriesNeeded(stock: resource.stock, returned: returned, requests: requests)
            let namedEntries: SQLQueryString = entryIDs.isEmpty ? "" : " OR e.id IN (\(Self.list(entryIDs)))"
            // A pool's entries that no unit can reach in this decision are left out; a dated resource's
            // periods each have their own stock, so every waiting entry is loaded (a page at a time).
            let reachable: SQLQueryString = resource.schedule != nil ? "" : """
                 AND (e.quantity <= \(bind: quantityAtMost) OR e.passed_units + \(bind: passesAtMost) >= e.quantity)
                """
            let rows = try await sql.raw("""
                SELECT e.id, e.user_id, e.quantity, e.status, e.passed_units, u.is_active, \(TakenRange.columns("e")),
                       (SELECT h.id FROM holds h WHERE h.waitlist_entry_id = e.id AND h.status = \(bind: Hold.Status.held.rawValue)) AS offer
                FROM waitlist_entries e JOIN users u ON u.id = e.user_id
                WHERE e.resource_id = \(bind: resourceID)
                  AND ((e.status = 'waiting'\(reachable))
                       \(namedEntries))
                ORDER BY e.id LIMIT \(bind: page + 1 + entryIDs.count)
                """).all()
            var waiting = 0
            for row in rows {
                let entry = StockSnapshot.EntryFacts(
                    id: try row.decode(column: "id", as: Int.self), userID: try row.decode(column: "user_id", as: Int.self),
                    quantity: try row.decode(column: "quantity", as: Int.self),
                    status: WaitlistEntry.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .waiting,
                    passedUnits: try row.decode(column: "passed_units", as: Int.self), userIsActive: try row.decode(column: "is_active", as: Bool.self),
                    offerHoldID: try row.decode(column: "offer", as: Int?.self), span: span(of: try TakenRange(row: row)))
                if entry.status == .waiting { waiting += 1 }
                guard waiting <= page || entryIDs.contains(entry.id) else { continue }
                snapshot.entries.append(entry)
            }
            snapshot.entriesComplete = waiting <= page
            // An offered entry's hold, for leaving or declining it.
            let offers = Set(snapshot.entries.filter { entryIDs.contains($0.id) }.compactMap(\.offerHoldID)).subtracting(snapshot.holds.keys)
            if !offers.isEmpty {
                for row in try await sql.raw("""
                    SELECT id, user_id, quantity, status, expires_at, waitlist_entry_id, passed_through, \(TakenRange.columns("holds"))
                    FROM holds WHERE id IN (\(Self.list(offers)))
                    """).all() {
                    let hold = StockSnapshot.HoldFacts(
                        id: try row.decode(column: "id", as: Int.self), userID: try row.decode(column: "user_id", as: Int.self),
                        quantity: try row.decode(column: "quantity", as: Int.self),
                        status: Hold.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .held,
                        expiresAt: try row.decode(column: "expires_at", as: Date.self),
                        entryID: try row.decode(column: "waitlist_entry_id", as: Int?.self),
                        passedThrough: try row.decode(column: "passed_through", as: Int?.self), bookingID: nil,
                        span: span(of: try TakenRange(row: row)))
                    snapshot.holds[hold.id] = hold
                }
            }
            snapshot.lastWaitingEntryID = try await sql.raw("""
                SELECT MAX(id) AS last FROM waitlist_entries WHERE resource_id = \(bind: resourceID) AND status = 'waiting'
                """).first()?.decode(column: "last", as: Int?.self)
            if !joins.isEmpty {
                snapshot.usersWaiting = Set(try await sql.raw("""
                    SELECT user_id FROM waitlist_entries
                    WHERE resource_id = \(bind: resourceID) AND status IN ('waiting', 'offered') AND user_id IN (\(Self.list(Set(joins))))
                    """).all().map { try $0.decode(column: "user_id", as: Int.self) })
            }
        }
        // The units of every user whose limits the decision may check: under max_per_user everyone's; under
        // MAX_HELD_PER_USER those who would hold (holds, and waiting entries whose offer is a hold).
        let perUser = resource.limits.maxPerUser != nil, holdCap = tx.policy.maxHeldPerUser != nil && !perUser
        var users = Set<Int>()
        for request in requests {
            switch request {
            case .book(let userID, _, _): if perUser { users.insert(userID) }
            case .hold(let userID, _, _, _), .join(let userID, _, _): if perUser || holdCap { users.insert(userID) }
            case .confirm(let holdID, _): if perUser, let hold = snapshot.holds[holdID] { users.insert(hold.userID) }
            default: break
            }
        }
        if perUser || holdCap { users.formUnion(snapshot.entries.filter { $0.status == .waiting }.map(\.userID)) }
        guard resource.schedule != nil else {
            snapshot.owned = try await Self.units(of: users, in: resourceID, session: session)
            return snapshot
        }
        // A dated resource: the stock of every period the decision may move or serve an entry in, and the
        // users' units in the periods they may take.
        var keys = Set(snapshot.holds.values.flatMap(\.span.keys) + snapshot.bookings.values.flatMap(\.span.keys))
        var requested = Set(snapshot.entries.filter { $0.status == .waiting }.flatMap(\.span.keys))
        var everyPeriod = false
        for request in requests {
            switch request {
            case .book(_, _, let span), .hold(_, _, _, let span), .join(_, _, let span): requested.formUnion(span.keys)
            case .update(let edit, _): if edit.total != nil { everyPeriod = true }
            case .setCapacity(let date, _, _):
                keys.formUnion(resource.schedule?.periods(from: date, to: date.adding(days: 1)).map(\.key) ?? [])
            default: break
            }
        }
        keys.formUnion(requested)
        keys.remove(.whole)
        if let schedule = resource.schedule {
            let days = Set(keys.map { schedule.date(of: $0).dayNumber })
            let stored = try await Self.storedPeriods(of: resource.id, keys: everyPeriod ? nil : keys, days: everyPeriod ? nil : days, in: session)
            snapshot.stock.merge(stored.stock) { $1 }
            snapshot.calendar = stored.calendar
        }
        snapshot.ownedInPeriods = try await units(of: users, in: requested)
        return snapshot
    }

    /// A dated resource's stored periods among `keys` and its dates with a capacity of their own from the
    /// first of `days` to the last (nil: all of them), read together in one statement.
    static func storedPeriods(of resourceID: Int, keys: Set<PeriodKey>?, days: Set<Int64>?,
                              in session: SQLSession) async throws -> (stock: [PeriodKey: Stock], calendar: [Int64: Int]) {
        var reads: [SQLQueryString] = []
        if keys?.isEmpty != true {
            var condition: SQLQueryString = ""
            if let keys, let first = keys.min(), let last = keys.max() {
                condition = " AND kind = \(bind: first.kind.rawValue) AND idx BETWEEN \(bind: first.index) AND \(bind: last.index)"
            }
            reads.append("""
                SELECT 'period' AS row_of, kind, idx, total_quantity, available_quantity, held_quantity
                FROM period_stock WHERE resource_id = \(bind: resourceID)\(condition)
                """)
        }
        if days?.isEmpty != true {
            var condition: SQLQueryString = ""
            if let days, let first = days.min(), let last = days.max() { condition = " AND day BETWEEN \(bind: first) AND \(bind: last)" }
            reads.append("""
                SELECT 'date' AS row_of, 0 AS kind, day AS idx, total_quantity, 0 AS available_quantity, 0 AS held_quantity
                FROM resource_calendar WHERE resource_id = \(bind: resourceID)\(condition)
                """)
        }
        guard !reads.isEmpty else { return ([:], [:]) }
        var stock: [PeriodKey: Stock] = [:], calendar: [Int64: Int] = [:]
        for row in try await session.sql.raw(reads.joined(separator: "\nUNION ALL\n")).all() {
            let index = try row.decode(column: "idx", as: Int64.self), total = try row.decode(column: "total_quantity", as: Int.self)
            guard try row.decode(column: "row_of", as: String.self) == "period" else {
                calendar[index] = total
                continue
            }
            guard let kind = PeriodKey.Kind(rawValue: try row.decode(column: "kind", as: Int.self)) else { continue }
            let key = PeriodKey(kind: kind, index: index)
            guard keys?.contains(key) ?? true else { continue }
            stock[key] = Stock(total: total, available: try row.decode(column: "available_quantity", as: Int.self),
                               held: try row.decode(column: "held_quantity", as: Int.self))
        }
        return (stock, calendar)
    }

    /// Each of `userIDs`' units in each of a dated resource's periods among `keys` (active bookings and
    /// holds stored as held, as a pool counts them), from their records overlapping those periods.
    private func units(of userIDs: Set<Int>, in keys: Set<PeriodKey>) async throws -> [Int: [PeriodKey: StockSnapshot.Owned]] {
        guard !userIDs.isEmpty, let first = keys.min(), let last = keys.max() else { return [:] }
        let rows = try await session.sql.raw("""
            SELECT user_id, purchase_quantity AS booked, 0 AS held, \(TakenRange.columns("bookings")) FROM bookings
            WHERE resource_id = \(bind: resource.id) AND user_id IN (\(Self.list(userIDs))) AND status = \(bind: Booking.Status.active.rawValue)
              AND period_from <= \(bind: last.index) AND period_to > \(bind: first.index)
            UNION ALL
            SELECT user_id, 0 AS booked, quantity AS held, \(TakenRange.columns("holds")) FROM holds
            WHERE resource_id = \(bind: resource.id) AND user_id IN (\(Self.list(userIDs))) AND status = \(bind: Hold.Status.held.rawValue)
              AND period_from <= \(bind: last.index) AND period_to > \(bind: first.index)
            """).all()
        var owned: [Int: [PeriodKey: StockSnapshot.Owned]] = [:]
        for row in rows {
            let userID = try row.decode(column: "user_id", as: Int.self)
            let booked = try row.decode(column: "booked", as: Int.self), held = try row.decode(column: "held", as: Int.self)
            for key in span(of: try TakenRange(row: row)).keys where keys.contains(key) {
                owned[userID, default: [:]][key, default: .init()].booked += booked
                owned[userID, default: [:]][key, default: .init()].held += held
            }
        }
        return owned
    }

    /// Whether deciding a take needs the user's units: a `max_per_user` counts them, and so does the bound
    /// on units held for a hold.
    static func counts(_ limits: UserLimits, holding: Bool, policy: StockPolicy) -> Bool {
        limits.maxPerUser != nil || (holding && policy.maxHeldPerUser != nil)
    }

    /// The units each of `userIDs` has of a locked resource; users with none are absent. Exact under the
    /// lock, which every movement that adds units to a user takes. One query for them all.
    static func units(of userIDs: Set<Int>, in resourceID: Int, session: SQLSession) async throws -> [Int: StockSnapshot.Owned] {
        guard !userIDs.isEmpty else { return [:] }
        let rows = try await session.sql.raw("""
            SELECT user_id, CAST(SUM(booked) AS BIGINT) AS booked, CAST(SUM(held) AS BIGINT) AS held FROM (
                SELECT user_id, purchase_quantity AS booked, 0 AS held FROM bookings
                WHERE resource_id = \(bind: resourceID) AND user_id IN (\(list(userIDs))) AND status = \(bind: Booking.Status.active.rawValue)
                UNION ALL
                SELECT user_id, 0 AS booked, quantity AS held FROM holds
                WHERE resource_id = \(bind: resourceID) AND user_id IN (\(list(userIDs))) AND status = \(bind: Hold.Status.held.rawValue)
            ) owned GROUP BY user_id
            """).all()
        return Dictionary(uniqueKeysWithValues: try rows.map {
            (try $0.decode(column: "user_id", as: Int.self),
             StockSnapshot.Owned(booked: try $0.decode(column: "booked", as: Int.self), held: try $0.decode(column: "held", as: Int.self)))
        })
    }

    /// Ids as a literal list (integers only, so nothing to bind).
    static func list(_ ids: Set<Int>) -> SQLQueryString {
        SQLQueryString(ids.sorted().map(String.init).joined(separator: ", "))
    }

    // MARK: Applying

    /// Writes a plan: its moves in order (consecutive inserts of one kind in one statement), the resource's
    /// stock, limits and waiting count once, then its events.
    func apply(_ plan: StockPlan) async throws -> Applied {
        let session = self.session, resourceID = resource.id
        var created = Created()
        var index = plan.moves.startIndex
        while index < plan.moves.endIndex {
            switch plan.moves[index] {
            case .insertBooking:
                var rows: [SQLQueryString] = []
                while index < plan.moves.endIndex, case .insertBooking(let userID, let quantity, let span, let hold, let passed, let at) = plan.moves[index] {
                    rows.append("""
                        (\(bind: resourceID), \(bind: userID), \(bind: quantity), \(bind: Booking.Status.active.rawValue), \(bind: at), \
                        \(bind: hold.map { created.id($0, in: \.holds) }), \(bind: passed.map { resolve($0, created) }), \(Self.values(span.range)), \
                        \(bind: startsAt(span)))
                        """)
                    index += 1
                }
                created.bookings += try await session.insertReturningIDs("""
                    INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date, hold_id, passed_through, \
                    \(Self.periodColumns), starts_at)
                    """, values: rows)
                continue
            case .insertHold:
                var rows: [SQLQueryString] = []
                while index < plan.moves.endIndex,
                      case .insertHold(let userID, let quantity, let span, let until, let entry, let passed, let at) = plan.moves[index] {
                    rows.append("""
                        (\(bind: resourceID), \(bind: userID), \(bind: quantity), \(bind: Hold.Status.held.rawValue), \(bind: at), \(bind: until), \
                        \(bind: entry.map { created.id($0, in: \.entries) }), \(bind: passed.map { resolve($0, created) }), \(Self.values(span.range)))
                        """)
                    index += 1
                }
                created.holds += try await session.insertReturningIDs("""
                    INSERT INTO holds (resource_id, user_id, quantity, status, created_at, expires_at, waitlist_entry_id, passed_through, \
                    \(Self.periodColumns))
                    """, values: rows)
                continue
            case .insertEntry(let userID, let quantity, let span, let at):
                created.entries.append(try await session.insertReturningID("""
                    INSERT INTO waitlist_entries (resource_id, user_id, quantity, status, passed_units, created_at, \(Self.periodColumns))
                    VALUES (\(bind: resourceID), \(bind: userID), \(bind: quantity), \(bind: WaitlistEntry.Status.waiting.rawValue), 0, \(bind: at), \
                    \(Self.values(span.range)))
                    """))
            case .endHold(let ref, let status, let at):
                try await session.sql.raw("""
                    UPDATE holds SET status = \(bind: status.rawValue), ended_at = \(bind: at)
                    WHERE id = \(bind: created.id(ref, in: \.holds)) AND status = \(bind: Hold.Status.held.rawValue)
                    """).run()
            case .confirmHold(let id, _, let at):
                try await session.sql.raw("""
                    UPDATE holds SET status = \(bind: Hold.Status.confirmed.rawValue), ended_at = \(bind: at) WHERE id = \(bind: id)
                    """).run()
            case .cancelBooking(let id, let at):
                try await session.sql.raw("""
                    UPDATE bookings SET status = \(bind: Booking.Status.cancelled.rawValue), cancelled_at = \(bind: at) WHERE id = \(bind: id)
                    """).run()
            case .endEntry(let ref, let status, let from, let at, let removal):
                try await session.sql.raw("""
                    UPDATE waitlist_entries SET status = \(bind: status.rawValue), ended_at = \(bind: at), removed_reason = \(bind: removal?.reason),
                        removed_by = \(bind: removal?.adminID)
                    WHERE id = \(bind: created.id(ref, in: \.entries)) AND status = \(bind: from.rawValue)
                    """).run()
            case .setCalendar(let date, let total):
                if let total {
                    try await session.sql.raw("""
                        INSERT INTO resource_calendar (resource_id, day, total_quantity) VALUES (\(bind: resourceID), \(bind: date.dayNumber), \(bind: total))
                        ON CONFLICT (resource_id, day) DO UPDATE SET total_quantity = excluded.total_quantity
                        """).run()
                } else {
                    try await session.sql.raw("""
                        DELETE FROM resource_calendar WHERE resource_id = \(bind: resourceID) AND day = \(bind: date.dayNumber)
                        """).run()
                }
            case .offerEntry(let ref, let at):
                try await session.sql.raw("""
                    UPDATE waitlist_entries SET status = \(bind: WaitlistEntry.Status.offered.rawValue), offered_at = \(bind: at)
                    WHERE id = \(bind: created.id(ref, in: \.entries))
                    """).run()
            case .pass(let units, let except, let entries, let within):
                var who: SQLQueryString = except.map { " AND user_id <> \(bind: $0)" } ?? ""
                if let within {
                    who = "\(who) AND period_kind = \(bind: within.kind.rawValue) AND period_from < \(bind: within.to) AND period_to > \(bind: within.from)"
                }
                let which: SQLQueryString = switch entries {
                case .upTo(let ref): "id <= \(bind: created.id(ref, in: \.entries))"
                case .before(let ref): "id < \(bind: created.id(ref, in: \.entries))"
                }
                try await session.sql.raw("""
                    UPDATE waitlist_entries
                    SET passed_units = CASE WHEN passed_units + \(bind: units) > 0 THEN passed_units + \(bind: units) ELSE 0 END
                    WHERE resource_id = \(bind: resourceID) AND status = 'waiting' AND \(which)\(who)
                    """).run()
            }
            index += 1
        }
        let after = try await writeResourceAndEvents(plan, created: created)
        let report = plan.report
        if !report.isEmpty { tx.afterCommit { $0.add(report) } }
        return Applied(plan: plan, created: created, resource: after)
    }

    static let periodColumns: SQLQueryString = "period_kind, period_from, period_to, period_start, period_end"

    /// The first instant of a dated record's periods (its slot's start; its day's or night's local
    /// midnight in the resource's zone); nil for a pool's.
    func startsAt(_ span: Span) -> Date? {
        guard let range = span.range, let schedule = resource.schedule else { return nil }
        let seconds = range.kind == .slot ? range.from * 60 : schedule.period(on: LocalDate(dayNumber: range.from)).start
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// A record's period columns' values (nulls for a pool's).
    static func values(_ range: TakenRange?) -> SQLQueryString {
        "\(bind: range?.kind.rawValue), \(bind: range?.from), \(bind: range?.to), \(bind: range?.start), \(bind: range?.end)"
    }

    /// The id a record keeps as the last entry its take passed.
    private func resolve(_ passed: PassedEntries, _ created: Created) -> Int {
        switch passed {
        case .upTo(let ref): created.id(ref, in: \.entries)
        case .before(let ref): created.id(ref, in: \.entries) - 1
        }
    }

    /// The plan's last writes, none of which reads what another writes (so on PostgreSQL they are one
    /// statement, ``SQLSession/runTogether(_:)``): the stock of each of its periods the plan changed (a
    /// period's row made by its first change), the resource's stock, limits and waiting count once when the
    /// plan changed them, and its events, with the ids of the records the moves made. The resource after.
    private func writeResourceAndEvents(_ plan: StockPlan, created: Created) async throws -> Resource {
        var writes: [SQLQueryString] = []
        let periods = plan.stock.filter { $0.key != .whole }.sorted { $0.key < $1.key }
        if !periods.isEmpty {
            let rows: [SQLQueryString] = periods.map { key, stock in
                """
                (\(bind: resource.id), \(bind: key.kind.rawValue), \(bind: key.index), \(bind: stock.total), \(bind: stock.available), \(bind: stock.held))
                """
            }
            writes.append("""
                INSERT INTO period_stock (resource_id, kind, idx, total_quantity, available_quantity, held_quantity)
                VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (resource_id, kind, idx) DO UPDATE SET total_quantity = excluded.total_quantity,
                    available_quantity = excluded.available_quantity, held_quantity = excluded.held_quantity
                """)
        }
        if !plan.events.isEmpty {
            writes.append(SQLEventStore.insert(plan.events.map { event in
                let subject = EventSubject(
                    resourceID: resource.id, resourceName: event.resourceName, bookingID: event.subject.booking.map { created.id($0, in: \.bookings) },
                    holdID: event.subject.hold.map { created.id($0, in: \.holds) },
                    waitlistEntryID: event.subject.entry.map { created.id($0, in: \.entries) }, userID: event.subject.userID)
                return NewEvent(event.type, at: event.at, by: event.actor, subject: subject, quantity: event.quantity, stock: event.stock,
                                details: event.details)
            }))
        }
        var assignments: [SQLQueryString] = []
        if let stock = plan.stock[.whole] {
            assignments += ["total_quantity = \(bind: stock.total)", "available_quantity = \(bind: stock.available)",
                            "held_quantity = \(bind: stock.held)"]
        }
        if let limits = plan.limits {
            assignments += ["max_per_user = \(bind: limits.maxPerUser)", "max_per_booking = \(bind: limits.maxPerBooking)"]
        }
        if let waiting = plan.waitingCount { assignments.append("waiting_count = \(bind: waiting)") }
        guard !assignments.isEmpty else {
            _ = try await session.runTogether(writes)
            return resource
        }
        // Last, so that its row is the one answered.
        writes.append("UPDATE resources SET \(assignments.joined(separator: ", ")) WHERE id = \(bind: resource.id) RETURNING \(Resource.columns)")
        guard let row = try await session.runTogether(writes).first else { throw DatabaseInvariantViolation("locked resource \(resource.id) vanished") }
        return try Resource(row: row)
    }
}

extension StockEvents {
    /// Adds what another plan did.
    mutating func add(_ other: StockEvents) {
        holdsExpired += other.holdsExpired
        offersMade += other.offersMade
        offersAccepted += other.offersAccepted
        offersDeclined += other.offersDeclined
        offersExpired += other.offersExpired
    }
}
