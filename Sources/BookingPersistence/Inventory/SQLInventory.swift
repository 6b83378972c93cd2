import BookingDomain
import FluentKit
import Foundation
import SQLKit

/// The ``Inventory`` in SQL: every statement that changes a resource's stock, a hold's status or a
/// booking's existence is in this file.
///
/// Every movement that depends on more than the resource row itself (limits, holds, expiry) runs in one
/// transaction that first locks the resource row (``locked(_:at:in:)``), so movements on one resource are
/// serialized on every server, and reads the user's units and the holds only after it has the lock. The
/// lock also reclaims the resource's lapsed holds, so the stock it returns is exact. On PostgreSQL a
/// booking or a hold of a resource without limits first tries one conditional statement on the pool (the
/// hot path, one round trip); it falls back to the locked transaction only when that statement cannot
/// decide. The schema's CHECK constraints (`0 <= available`, `0 <= held`, `available + held <= total`) refuse to
/// commit anything else even if a statement here were wrong.
struct SQLInventory: Inventory {
    /// The storage this inventory came from: on the pool, or bound to a transaction.
    let storage: SQLStorage
    var session: SQLSession { storage.session }

    func add(name: String, description: String, stock: Stock, limits: UserLimits, at date: Date, by actor: EventActor) async throws -> Resource? {
        try await storage.withTransaction { tx in
            let added = try await tx.session.sql.raw("""
                INSERT INTO resources (name, name_key, description, total_quantity, available_quantity, held_quantity,
                                       max_per_user, max_per_booking, created_at)
                VALUES (\(bind: name), \(bind: name.resourceNameKey), \(bind: description), \(bind: stock.total),
                        \(bind: stock.available), 0, \(bind: limits.maxPerUser), \(bind: limits.maxPerBooking), \(bind: date))
                ON CONFLICT DO NOTHING
                RETURNING \(Resource.columns)
                """).first().map(Resource.init(row:))
            guard let added else { return nil }
            try await Self.record(NewEvent(.resourceCreated, at: date, by: actor, subject: added.subject, stock: added.stock,
                                           details: added.eventDetails), in: tx.session)
            return added
        }
    }

    /// Writes `event` in the transaction (or statement) `session` runs.
    static func record(_ event: NewEvent, in session: SQLSession) async throws {
        try await session.sql.raw(SQLEventStore.insert(event)).run()
    }

    // MARK: Taking units

    func book(_ quantity: Int, of reference: ResourceReference, for userID: Int, at now: Date,
              completing key: IdempotencyCompletion?) async throws -> Booking {
        let taken = try await take(TakeRequest(kind: .booking, quantity: quantity, userID: userID, now: now, completing: key), of: reference)
        guard case .booking(let booking) = taken else { throw DatabaseInvariantViolation("a booking's take made a hold") }
        return booking
    }

    func hold(_ quantity: Int, of reference: ResourceReference, for userID: Int, until expiresAt: Date, at now: Date,
              completing key: IdempotencyCompletion?) async throws -> Hold {
        let taken = try await take(TakeRequest(kind: .hold(until: expiresAt), quantity: quantity, userID: userID, now: now, completing: key),
                                   of: reference)
        guard case .hold(let hold) = taken else { throw DatabaseInvariantViolation("a hold's take made a booking") }
        return hold
    }

    /// After PostgreSQL's one statement took nothing: without limits or a waiting list, and without lapsed
    /// holds whose units would make the request fit, the answer is no, and it needs no lock; say why from
    /// the resource as it is now. Otherwise return, and the locked transaction decides.
    func refuseWithoutLockIfPlain(_ quantity: Int, of reference: ResourceReference, at now: Date) async throws {
        guard let current = try await SQLResourceStore(session: session).find(reference, at: now) else { throw AppError.resourceNotFound }
        if current.limits.isUnlimited, current.waitingEntries == 0, current.stock.available < quantity {
            throw AppError.insufficientQuantity(requested: quantity, available: current.stock.available)
        }
    }

    /// PostgreSQL's hot path, for a resource without limits or entries waiting: the conditional UPDATE that
    /// takes the request's available units (to held for a hold) and the INSERT of the booking or hold that
    /// gets them, in one statement, atomic on its own: on the pool it costs one round trip, and it locks
    /// only the resource row, for no longer than the statement, so the lock order stays the resource row
    /// first. The same statement writes the event, with the resource's stock as a read would show it right
    /// after (lapsed holds counted as available). nil when it took nothing (too few units, limits, a
    /// waiting list, no such resource).
    func takeInOneStatement(_ request: TakeRequest, of reference: ResourceReference) async throws -> Taken? {
        let quantity = request.quantity, userID = request.userID, now = request.now
        let toHeld: SQLQueryString, insert: SQLQueryString, event: (type: EventType, column: String, details: [String: EventValue])
        switch request.kind {
        case .booking:
            toHeld = ""
            insert = """
                INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date)
                SELECT id, \(bind: userID), \(bind: quantity), \(bind: Booking.Status.active.rawValue), \(bind: now) FROM taken
                """
            event = (.bookingCreated, "booking_id", [:])
        case .hold(let until):
            toHeld = ", held_quantity = held_quantity + \(bind: quantity)"
            insert = """
                INSERT INTO holds (resource_id, user_id, quantity, status, created_at, expires_at)
                SELECT id, \(bind: userID), \(bind: quantity), \(bind: Hold.Status.held.rawValue), \(bind: now), \(bind: until) FROM taken
                """
            event = (.holdCreated, "hold_id", ["expires_at": .date(until)])
        }
        let made = try await session.write { sql in
            try await sql.raw("""
                WITH taken AS (
                    UPDATE resources SET available_quantity = available_quantity - \(bind: quantity)\(toHeld)
                    WHERE \(Resource.matching(reference)) AND available_quantity >= \(bind: quantity)
                      AND max_per_user IS NULL AND max_per_booking IS NULL AND waiting_count = 0
                    RETURNING id, name, total_quantity, available_quantity, held_quantity
                ), made AS (
                    \(insert)
                    RETURNING id, resource_id
                ), lapsed AS (
                    \(Hold.lapsedUnits(ofResource: "(SELECT id FROM taken)", at: now))
                ), logged AS (
                    INSERT INTO events (type, occurred_at, actor_id, resource_id, resource_name, \(ident: event.column), user_id, quantity,
                                        total, available, held, details)
                    SELECT \(bind: event.type.rawValue), \(bind: now), \(bind: userID), taken.id, taken.name, made.id, \(bind: userID),
                           \(bind: quantity), taken.total_quantity, taken.available_quantity + lapsed.units, taken.held_quantity - lapsed.units,
                           \(bind: SQLEventStore.encode(event.details))
                    FROM made, taken, lapsed
                )
                SELECT made.id, made.resource_id, taken.name AS resource_name FROM made, taken
                """).first()
        }
        guard let made else { return nil }
        let id = try made.decode(column: "id", as: Int.self), resourceID = try made.decode(column: "resource_id", as: Int.self)
        let resourceName = try made.decode(column: "resource_name", as: String.self)
        switch request.kind {
        case .booking:
            return .booking(Booking(id: id, resourceID: resourceID, resourceName: resourceName,
                                    userID: userID, purchaseQuantity: quantity, bookingDate: now, status: .active))
        case .hold(let until):
            return .hold(Hold(id: id, resourceID: resourceID, resourceName: resourceName, userID: userID, quantity: quantity,
                              storedStatus: .held, createdAt: now, expiresAt: until, bookingID: nil))
        }
    }

    /// Why `userID` may not take `quantity` more units of the locked `resource` (as a hold or an offer when
    /// `holding`); nil if they may.
    static func refusal(taking quantity: Int, holding: Bool, of resource: Resource, for userID: Int, in tx: SQLStorage) async throws -> AppError? {
        let owned = needsOwned(resource, holding: holding, policy: tx.policy)
            ? try await units(of: [userID], in: resource.id, session: tx.session)[userID, default: Owned()] : Owned()
        do {
            try check(taking: quantity, holding: holding, owned: owned, of: resource, policy: tx.policy)
            return nil
        } catch {
            return error
        }
    }

    /// The resource's limits, and for a hold the service's bound on units held (``StockPolicy``).
    static func check(taking quantity: Int, holding: Bool, owned: Owned, of resource: Resource, policy: StockPolicy) throws(AppError) {
        try resource.limits.check(taking: quantity, owned: owned.total)
        if holding { try policy.checkHolding(quantity, held: owned.held, under: resource.limits) }
    }

    /// Whether deciding a take needs the user's units: a `max_per_user` counts them, and so does the bound
    /// on units held for a hold.
    static func needsOwned(_ resource: Resource, holding: Bool, policy: StockPolicy) -> Bool {
        resource.limits.maxPerUser != nil || (holding && policy.maxHeldPerUser != nil)
    }

    /// A user's units of a resource: booked (active bookings) and held (holds and offers).
    struct Owned: Sendable, Equatable {
        var booked = 0
        var held = 0
        var total: Int { booked + held }
    }

    /// The units each of `userIDs` has of a locked resource; users with none are absent. Exact under the
    /// lock, which every movement that adds units to a user takes, and after the lock reclaimed the lapsed
    /// holds. One query for a whole batch's users.
    static func units(of userIDs: Set<Int>, in resourceID: Int, session: SQLSession) async throws -> [Int: Owned] {
        guard !userIDs.isEmpty else { return [:] }
        let users = SQLQueryString(userIDs.sorted().map(String.init).joined(separator: ", "))
        let rows = try await session.sql.raw("""
            SELECT user_id, CAST(SUM(booked) AS BIGINT) AS booked, CAST(SUM(held) AS BIGINT) AS held FROM (
                SELECT user_id, purchase_quantity AS booked, 0 AS held FROM bookings
                WHERE resource_id = \(bind: resourceID) AND user_id IN (\(users)) AND status = \(bind: Booking.Status.active.rawValue)
                UNION ALL
                SELECT user_id, 0 AS booked, quantity AS held FROM holds
                WHERE resource_id = \(bind: resourceID) AND user_id IN (\(users)) AND status = \(bind: Hold.Status.held.rawValue)
            ) owned GROUP BY user_id
            """).all()
        return Dictionary(uniqueKeysWithValues: try rows.map {
            (try $0.decode(column: "user_id", as: Int.self),
             Owned(booked: try $0.decode(column: "booked", as: Int.self), held: try $0.decode(column: "held", as: Int.self)))
        })
    }

    private static func insertBooking(
        of resource: Resource, quantity: Int, for userID: Int, hold: Int?, passedThrough: Int?, at now: Date, in session: SQLSession
    ) async throws -> Booking {
        let id = try await session.insertReturningID("""
            INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date, hold_id, passed_through)
            VALUES (\(bind: resource.id), \(bind: userID), \(bind: quantity), \(bind: Booking.Status.active.rawValue), \(bind: now),
                    \(bind: hold), \(bind: passedThrough))
            """)
        return Booking(id: id, resourceID: resource.id, resourceName: resource.name,
                       userID: userID, purchaseQuantity: quantity, bookingDate: now, status: .active, holdID: hold)
    }

    // MARK: Holds

    func confirm(holdID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> (booking: Booking, created: Bool) {
        try await storage.withTransaction { tx -> Result<(booking: Booking, created: Bool), AppError> in
            let session = tx.session
            guard let owner = try await Self.owner(of: "holds", holdID, visibleTo: ownerID, in: session),
                  let resource = try await Self.locked(.id(owner.resourceID), at: now, in: tx),
                  let hold = try await SQLHoldStore(session: session).find(id: holdID)
            else { return .failure(.holdNotFound) }
            let resourceID = resource.id
            let stock: Stock
            // The entries the booking counts as having passed: the hold's own (its units stay taken), or a new take's.
            var passedThrough = try await session.sql.raw("SELECT passed_through FROM holds WHERE id = \(bind: holdID)").first()?
                .decode(column: "passed_through", as: Int?.self)
            switch hold.storedStatus {
            case .confirmed:
                guard let bookingID = hold.bookingID, let booking = try await SQLBookingStore(session: session).find(id: bookingID) else {
                    throw DatabaseInvariantViolation("confirmed hold \(holdID) has no booking")
                }
                return .success((booking, false))
            case .released:
                return .failure(.holdNotActive)
            case .held:
                // Unexpired (the lock reclaimed it otherwise): its units move from held to booked.
                try await session.sql.raw("""
                    UPDATE resources SET held_quantity = held_quantity - \(bind: hold.quantity) WHERE id = \(bind: resourceID)
                    """).run()
                stock = resource.stock.moving(held: -hold.quantity)
                if let entryID = hold.waitlistEntryID {
                    try await Self.endEntry(entryID, as: .accepted, at: now, in: session)
                    tx.afterCommit { $0.offersAccepted += 1 }
                }
            case .expired:
                // A lapsed offer's units went on down the list: it is over.
                guard hold.waitlistEntryID == nil else { return .failure(.holdExpired(available: resource.stock.available)) }
                // Its units went back; confirm only if they can be taken again now, within the owner's limits,
                // and not gathering for someone on the waiting list.
                if let refusal = try await Self.waitlistRefusal(of: resource, in: tx) { return .failure(refusal) }
                if let refusal = try await Self.refusal(taking: hold.quantity, holding: false, of: resource, for: hold.userID, in: tx) {
                    return .failure(refusal)
                }
                guard resource.stock.available >= hold.quantity else { return .failure(.holdExpired(available: resource.stock.available)) }
                passedThrough = try await Self.overtake(resource, by: hold.quantity, for: hold.userID, in: session)
                try await session.sql.raw("""
                    UPDATE resources SET available_quantity = available_quantity - \(bind: hold.quantity) WHERE id = \(bind: resourceID)
                    """).run()
                stock = resource.stock.moving(available: -hold.quantity)
            }
            try await session.sql.raw("""
                UPDATE holds SET status = \(bind: Hold.Status.confirmed.rawValue), ended_at = \(bind: now) WHERE id = \(bind: holdID)
                """).run()
            let booking = try await Self.insertBooking(of: resource, quantity: hold.quantity, for: hold.userID, hold: holdID,
                                                       passedThrough: passedThrough, at: now, in: session)
            var subject = hold.subject
            subject.bookingID = booking.id
            try await Self.record(NewEvent(hold.waitlistEntryID == nil ? .holdConfirmed : .waitlistAccepted, at: now, by: actor,
                                           subject: subject, quantity: hold.quantity, stock: stock), in: session)
            return .success((booking, true))
        }.get()
    }

    func release(holdID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> Hold {
        try await storage.withTransaction { tx -> Result<Hold, AppError> in
            let session = tx.session
            guard let owner = try await Self.owner(of: "holds", holdID, visibleTo: ownerID, in: session),
                  try await Self.locked(.id(owner.resourceID), at: now, in: tx) != nil
            else { return .failure(.holdNotFound) }
            guard try await Self.releaseHeld("id = \(bind: holdID)", of: owner.resourceID, at: now, by: actor, in: tx) else {
                return .failure(.holdNotActive)
            }
            guard let hold = try await SQLHoldStore(session: session).find(id: holdID) else { return .failure(.holdNotFound) }
            return .success(hold)
        }.get()
    }

    /// The resource and owner of a hold or waiting-list entry (`table`) visible to `ownerID` (nil: any).
    /// Both never change, so this read needs no lock.
    static func owner(of table: String, _ id: Int, visibleTo ownerID: Int?, in session: SQLSession) async throws -> (resourceID: Int, userID: Int)? {
        guard let row = try await session.sql.raw("SELECT resource_id, user_id FROM \(ident: table) WHERE id = \(bind: id)").first() else {
            return nil
        }
        let userID = try row.decode(column: "user_id", as: Int.self)
        guard ownerID == nil || ownerID == userID else { return nil }
        return (try row.decode(column: "resource_id", as: Int.self), userID)
    }

    func reclaimLapsedHolds(at now: Date, limit: Int, offersOnly: Bool) async throws -> Int {
        let offers: SQLQueryString = offersOnly ? " AND waitlist_entry_id IS NOT NULL" : ""
        let resourceIDs = try await session.sql.raw("""
            SELECT resource_id FROM holds WHERE status = \(bind: Hold.Status.held.rawValue) AND \(Hold.lapsed(at: now))\(offers)
            ORDER BY expires_at LIMIT \(bind: limit)
            """).all().map { try $0.decode(column: "resource_id", as: Int.self) }
        var reclaimed = 0
        for resourceID in Set(resourceIDs) {
            reclaimed += try await storage.withTransaction { tx in
                try await Self.lock(.id(resourceID), at: now, in: tx)?.reclaimed ?? 0
            }
        }
        return reclaimed
    }

    // MARK: The lock

    /// Locks the resource's row for the rest of the transaction, reclaims its lapsed holds (status
    /// `expired`, units back to available; a lapsed offer's entry `expired`) and serves its waiting list;
    /// returns the resource, whose stored stock is now exact. nil when there is no such resource.
    ///
    /// Every movement of units to or from holds, every take that checks limits or meets a waiting list,
    /// and every change to a waiting list starts here, so they are serialized per resource, and the lock
    /// order is always the resource row first.
    static func locked(_ reference: ResourceReference, at now: Date, in tx: SQLStorage) async throws -> Resource? {
        try await lock(reference, at: now, in: tx)?.resource
    }

    private static func lock(_ reference: ResourceReference, at now: Date, in tx: SQLStorage) async throws -> (resource: Resource, reclaimed: Int)? {
        guard let row = try await tx.session.sql.raw("""
            SELECT \(Resource.columns) FROM resources WHERE \(Resource.matching(reference))\(tx.session.lockRows)
            """).first() else { return nil }
        return try await settle(try Resource(row: row), at: now, in: tx)
    }

    /// For a resource whose row this transaction has locked: reclaims its lapsed holds, then serves its
    /// waiting list. The resource as it is after, and how many holds it expired.
    static func settle(_ resource: Resource, at now: Date, in tx: SQLStorage) async throws -> (resource: Resource, reclaimed: Int) {
        let session = tx.session
        let lapsed = try await session.sql.raw("""
            UPDATE holds SET status = \(bind: Hold.Status.expired.rawValue), ended_at = expires_at
            WHERE resource_id = \(bind: resource.id) AND status = \(bind: Hold.Status.held.rawValue) AND \(Hold.lapsed(at: now))
            RETURNING id, user_id, quantity, expires_at, waitlist_entry_id, passed_through
            """).all().map { row in
            (id: try row.decode(column: "id", as: Int.self), userID: try row.decode(column: "user_id", as: Int.self),
             quantity: try row.decode(column: "quantity", as: Int.self), expiresAt: try row.decode(column: "expires_at", as: Date.self),
             entryID: try row.decode(column: "waitlist_entry_id", as: Int?.self), passedThrough: try row.decode(column: "passed_through", as: Int?.self))
        }.sorted { $0.id < $1.id }
        guard !lapsed.isEmpty else { return (try await serve(resource, at: now, in: tx), 0) }
        for hold in lapsed {
            try await giveBackPasses(hold.quantity, through: hold.passedThrough, of: hold.userID, on: resource.id, in: session)
        }
        let units = lapsed.reduce(0) { $0 + $1.quantity }
        let offers = lapsed.compactMap(\.entryID)
        if !offers.isEmpty {
            // A lapsed offer's entry ends when the offer did.
            try await session.sql.raw("""
                UPDATE waitlist_entries SET status = \(bind: WaitlistEntry.Status.expired.rawValue),
                    ended_at = (SELECT h.expires_at FROM holds h WHERE h.waitlist_entry_id = waitlist_entries.id)
                WHERE id IN (\(offers.map { "\(bind: $0)" as SQLQueryString }.joined(separator: ", "))) AND status = 'offered'
                """).run()
        }
        let reclaimed = try await returnHeld(units, to: resource.id, in: session)
        // Each lapsed when its time ran out; the stock is the resource's once they are all reclaimed.
        for hold in lapsed {
            let subject = EventSubject(resourceID: resource.id, resourceName: resource.name, holdID: hold.id,
                                       waitlistEntryID: hold.entryID, userID: hold.userID)
            try await record(NewEvent(hold.entryID == nil ? .holdExpired : .waitlistExpired, at: hold.expiresAt, by: .system,
                                      subject: subject, quantity: hold.quantity, stock: reclaimed.stock), in: session)
        }
        tx.afterCommit {
            $0.holdsExpired += lapsed.count
            $0.offersExpired += offers.count
        }
        return (try await serve(reclaimed, at: now, in: tx), lapsed.count)
    }

    /// Releases the hold `which` picks if it is still held, a compare-and-swap on its status (of racing
    /// releases and confirms only one ends it), and gives its units back; a released offer declines its
    /// entry (unless the entry has ended already: left or removed). With `actor`, writes the release's
    /// event (`hold.released`, or `waitlist.declined` for an offer) before the list is served; without,
    /// the caller has written its own (an entry leaving). false when no held hold matched.
    static func releaseHeld(_ which: SQLQueryString, of resourceID: Int, at now: Date, by actor: EventActor?, in tx: SQLStorage) async throws -> Bool {
        let session = tx.session
        let released = try await session.sql.raw("""
            UPDATE holds SET status = \(bind: Hold.Status.released.rawValue), ended_at = \(bind: now)
            WHERE \(which) AND status = \(bind: Hold.Status.held.rawValue)
            RETURNING id, user_id, quantity, waitlist_entry_id, passed_through
            """).first()
        guard let released else { return false }
        let entryID = try released.decode(column: "waitlist_entry_id", as: Int?.self), units = try released.decode(column: "quantity", as: Int.self)
        try await giveBackPasses(units, through: try released.decode(column: "passed_through", as: Int?.self),
                                 of: try released.decode(column: "user_id", as: Int.self), on: resourceID, in: session)
        if let entryID {
            try await endEntry(entryID, as: .declined, at: now, in: session)
            tx.afterCommit { $0.offersDeclined += 1 }
        }
        let resource = try await returnHeld(units, to: resourceID, in: session)
        if let actor {
            let subject = EventSubject(resourceID: resourceID, resourceName: resource.name, holdID: try released.decode(column: "id", as: Int.self),
                                       waitlistEntryID: entryID, userID: try released.decode(column: "user_id", as: Int.self))
            try await record(NewEvent(entryID == nil ? .holdReleased : .waitlistDeclined, at: now, by: actor, subject: subject,
                                      quantity: units, stock: resource.stock), in: session)
        }
        _ = try await serve(resource, at: now, in: tx)
        return true
    }

    /// Held units of the locked resource go back to available (holds lapsed, a hold released, an offer
    /// declined or withdrawn); the resource as it is after.
    private static func returnHeld(_ units: Int, to resourceID: Int, in session: SQLSession) async throws -> Resource {
        let updated = try await session.sql.raw("""
            UPDATE resources SET available_quantity = available_quantity + \(bind: units), held_quantity = held_quantity - \(bind: units)
            WHERE id = \(bind: resourceID)
            RETURNING \(Resource.columns)
            """).first()
        guard let updated else { throw DatabaseInvariantViolation("locked resource \(resourceID) vanished") }
        return try Resource(row: updated)
    }

    // MARK: Bookings and the resource itself

    func cancel(bookingID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> Booking {
        try await storage.withTransaction { tx in
            let session = tx.session, bookings = SQLBookingStore(session: session)
            // Compare-and-swap on the status: of racing cancels only one flips it, and only that one gives back.
            var condition: SQLQueryString = "id = \(bind: bookingID) AND status = \(bind: Booking.Status.active.rawValue)"
            if let ownerID { condition += " AND user_id = \(bind: ownerID)" }
            let released = try await session.sql.raw("""
                UPDATE bookings SET status = \(bind: Booking.Status.cancelled.rawValue), cancelled_at = \(bind: now)
                WHERE \(condition)
                RETURNING resource_id, user_id, purchase_quantity, passed_through
                """).first()
            guard let released else {
                guard let booking = try await bookings.find(id: bookingID), ownerID == nil || booking.userID == ownerID else {
                    throw AppError.bookingNotFound
                }
                throw AppError.bookingAlreadyCancelled
            }
            // This UPDATE locks the resource row for the rest of the transaction: a waiting list is served under it.
            let returned = try await session.sql.raw("""
                UPDATE resources SET available_quantity = available_quantity + \(bind: try released.decode(column: "purchase_quantity", as: Int.self))
                WHERE id = \(bind: try released.decode(column: "resource_id", as: Int.self))
                RETURNING \(Resource.columns)
                """).first()
            guard let returned else { throw DatabaseInvariantViolation("booking \(bookingID) has no resource") }
            let resource = try Resource(row: returned)
            try await Self.giveBackPasses(try released.decode(column: "purchase_quantity", as: Int.self),
                                          through: try released.decode(column: "passed_through", as: Int?.self),
                                          of: try released.decode(column: "user_id", as: Int.self), on: resource.id, in: session)
            try await Self.record(NewEvent(
                .bookingCancelled, at: now, by: actor,
                subject: EventSubject(resourceID: resource.id, resourceName: resource.name, bookingID: bookingID,
                                      userID: try released.decode(column: "user_id", as: Int.self)),
                quantity: try released.decode(column: "purchase_quantity", as: Int.self),
                stock: try await Self.currentStock(of: resource, at: now, in: session)), in: session)
            if resource.waitingEntries > 0 { _ = try await Self.settle(resource, at: now, in: tx) }
            guard let cancelled = try await bookings.find(id: bookingID) else { throw AppError.bookingNotFound }
            return cancelled
        }
    }

    func update(resourceID: Int, _ edit: ResourceEdit, at now: Date, by actor: EventActor) async throws -> Resource {
        try await storage.withTransaction { tx -> Result<Resource, AppError> in
            let session = tx.session
            guard let resource = try await Self.locked(.id(resourceID), at: now, in: tx) else { return .failure(.resourceNotFound) }
            var available = resource.stock.available
            if let total = edit.total {
                available += total - resource.stock.total
                guard available >= 0 else { return .failure(.totalBelowBooked(booked: resource.stock.booked, held: resource.stock.held)) }
            }
            var assignments: [SQLQueryString] = ["available_quantity = \(bind: available)"]
            if let total = edit.total { assignments.append("total_quantity = \(bind: total)") }
            if let name = edit.name { assignments += ["name = \(bind: name)", "name_key = \(bind: name.resourceNameKey)"] }
            if let description = edit.description { assignments.append("description = \(bind: description)") }
            if let maxPerUser = edit.maxPerUser { assignments.append("max_per_user = \(bind: maxPerUser)") }
            if let maxPerBooking = edit.maxPerBooking { assignments.append("max_per_booking = \(bind: maxPerBooking)") }
            if let name = edit.name, try await session.sql.raw("""
                SELECT id FROM resources WHERE name_key = \(bind: name.resourceNameKey) AND id <> \(bind: resourceID)
                """).first() != nil {
                // Checked under the lock; the unique index on name_key backs it up.
                return .failure(.resourceNameTaken)
            }
            let updated: (any SQLRow)?
            do {
                updated = try await session.sql.raw("""
                    UPDATE resources SET \(assignments.joined(separator: ", ")) WHERE id = \(bind: resourceID) RETURNING \(Resource.columns)
                    """).first()
            } catch let error as any DatabaseError where error.isConstraintFailure && edit.name != nil {
                // Another resource took the name after the check above (it was renamed or added at the same
                // moment, under its own lock): the unique index on name_key refused this one. Thrown, so
                // the transaction rolls back.
                throw AppError.resourceNameTaken
            }
            guard let updated else { throw DatabaseInvariantViolation("locked resource \(resourceID) vanished") }
            let changed = try Resource(row: updated)
            var details = changed.eventDetails
            details["changed"] = .strings(edit.fields)
            try await Self.record(NewEvent(.resourceUpdated, at: now, by: actor, subject: changed.subject, stock: changed.stock,
                                           details: details), in: session)
            // A larger total or higher limits may let waiting entries through.
            return .success(try await Self.serve(changed, at: now, in: tx))
        }.get()
    }

    func remove(resourceID: Int, at now: Date, by actor: EventActor) async throws {
        try await storage.withTransaction { tx -> Result<Void, AppError> in
            let session = tx.session
            // The lock keeps any booking, hold or waiting-list entry from starting on the resource meanwhile.
            guard let resource = try await Self.locked(.id(resourceID), at: now, in: tx) else { return .failure(.resourceNotFound) }
            let active = try await Self.count(
                "SELECT COUNT(*) AS n FROM bookings WHERE resource_id = \(bind: resourceID) AND status = \(bind: Booking.Status.active.rawValue)",
                in: session)
            guard active == 0 else { return .failure(.resourceHasActiveBookings(count: active)) }
            let held = try await Self.count(
                "SELECT COUNT(*) AS n FROM holds WHERE resource_id = \(bind: resourceID) AND status = \(bind: Hold.Status.held.rawValue)",
                in: session)
            guard held == 0 else { return .failure(.resourceHasActiveHolds(count: held)) }
            guard resource.waitingEntries == 0 else { return .failure(.resourceHasWaitingList(count: resource.waitingEntries)) }
            try await session.sql.raw("DELETE FROM bookings WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM holds WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM waitlist_entries WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM resources WHERE id = \(bind: resourceID)").run()
            try await Self.record(NewEvent(.resourceDeleted, at: now, by: actor, subject: resource.subject, stock: resource.stock), in: session)
            return .success(())
        }.get()
    }

    /// The stock of a resource whose row this transaction has changed but not settled, as a read shows it:
    /// the units of lapsed holds still stored as held count as available.
    private static func currentStock(of resource: Resource, at now: Date, in session: SQLSession) async throws -> Stock {
        let lapsed = try await session.sql.raw(Hold.lapsedUnits(ofResource: "\(bind: resource.id)", at: now))
            .first()?.decode(column: "units", as: Int.self) ?? 0
        return resource.stock.moving(available: lapsed, held: -lapsed)
    }

    private static func count(_ query: SQLQueryString, in session: SQLSession) async throws -> Int {
        try await session.sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
