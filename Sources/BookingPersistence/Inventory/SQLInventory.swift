import BookingDomain
import FluentKit
import Foundation
import SQLKit

/// The ``Inventory`` in SQL. Every movement of stock is decided by ``StockDecision`` over the snapshot a
/// transaction loads once it holds the resource's lock, and applied as decided (``LockedStock``); the only
/// other writer is the one-statement take (``takeInOneStatement(_:of:named:)``), PostgreSQL's hot path for a
/// resource the rule would decide by its available units alone. The schema's CHECK constraints
/// (`0 <= available`, `0 <= held`, `available + held <= total`) refuse to commit anything else even if a
/// statement here were wrong.
struct SQLInventory: Inventory {
    /// The storage this inventory came from: on the pool, or bound to a transaction.
    let storage: SQLStorage
    var session: SQLSession { storage.session }

    func add(name: String, description: String, stock: Stock, limits: UserLimits, schedule: Schedule?, at date: Date,
             by actor: EventActor) async throws -> Resource? {
        try await storage.withTransaction { tx in
            let added = try await tx.session.sql.raw("""
                INSERT INTO resources (name, name_key, description, total_quantity, available_quantity, held_quantity,
                                       max_per_user, max_per_booking, created_at, schedule, period_kind)
                VALUES (\(bind: name), \(bind: name.resourceNameKey), \(bind: description), \(bind: stock.total),
                        \(bind: stock.available), 0, \(bind: limits.maxPerUser), \(bind: limits.maxPerBooking), \(bind: date),
                        \(bind: schedule?.stored), \(bind: schedule?.kind.periodKind.rawValue))
                ON CONFLICT DO NOTHING
                RETURNING \(Resource.columns)
                """).first().map(Resource.init(row:))
            guard let added else { return nil }
            try await tx.session.sql.raw(SQLEventStore.insert(NewEvent(.resourceCreated, at: date, by: actor, subject: added.subject,
                                                                       stock: added.stock, details: added.eventDetails))).run()
            return added
        }
    }

    // MARK: Taking units

    func book(_ quantity: Int, of reference: ResourceReference, in range: PeriodRange?, for userID: Int, at now: Date,
              completing key: IdempotencyCompletion?) async throws -> Booking {
        let taken = try await take(TakeRequest(kind: .booking, quantity: quantity, range: range, userID: userID, now: now, completing: key),
                                   of: reference)
        guard case .booking(let booking) = taken else { throw DatabaseInvariantViolation("a booking's take made a hold") }
        return booking
    }

    func hold(_ quantity: Int, of reference: ResourceReference, in range: PeriodRange?, for userID: Int, until expiresAt: Date, at now: Date,
              completing key: IdempotencyCompletion?) async throws -> Hold {
        let taken = try await take(TakeRequest(kind: .hold(until: expiresAt), quantity: quantity, range: range, userID: userID, now: now,
                                               completing: key), of: reference)
        guard case .hold(let hold) = taken else { throw DatabaseInvariantViolation("a hold's take made a booking") }
        return hold
    }

    // MARK: Holds, bookings and the resource

    func confirm(holdID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> (booking: Booking, created: Bool) {
        try await decideOn(try await named(.holds, holdID, visibleTo: ownerID, refusingFinal: false), notFound: .holdNotFound, at: now) { locked in
            let applied = try await locked.decide([.confirm(holdID: holdID, by: actor)], holds: [holdID])
            return try await applied.plan.outcomes[0].mapAsync { outcome -> (Booking, Bool) in
                guard case .confirmed(let ref, let created) = outcome else { throw DatabaseInvariantViolation("a confirm came to \(outcome)") }
                return (try await locked.booking(applied.booking(ref)), created)
            }
        }
    }

    func release(holdID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> Hold {
        try await decideOn(try await named(.holds, holdID, visibleTo: ownerID), notFound: .holdNotFound, at: now) { locked in
            let applied = try await locked.decide([.release(holdID: holdID, by: actor)], holds: [holdID])
            return try await applied.plan.outcomes[0].mapAsync { _ in try await locked.hold(holdID) }
        }
    }

    func cancel(bookingID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> Booking {
        // A booking someone else owns is not found, as one that does not exist.
        try await decideOn(try await named(.bookings, bookingID, visibleTo: ownerID), notFound: .bookingNotFound, at: now) { locked in
            let applied = try await locked.decide([.cancel(bookingID: bookingID, by: actor)], bookings: [bookingID])
            return try await applied.plan.outcomes[0].mapAsync { _ in try await locked.booking(bookingID) }
        }
    }

    func update(resourceID: Int, _ edit: ResourceEdit, at now: Date, by actor: EventActor) async throws -> Resource {
        try await storage.withTransaction { tx -> Result<Resource, AppError> in
            guard var locked = try await LockedStock.lock(.id(resourceID), at: now, in: tx) else { return .failure(.resourceNotFound) }
            if edit.schedule != nil {
                // Lapsed holds are reclaimed (under the schedule they were taken with) before anything counts as taken.
                locked = LockedStock(tx: tx, resource: try await locked.decide([]).resource, now: now)
            }
            if let name = edit.name, try await tx.session.sql.raw("""
                SELECT id FROM resources WHERE name_key = \(bind: name.resourceNameKey) AND id <> \(bind: resourceID)
                """).first() != nil {
                // Checked under the lock; the unique index on name_key backs it up.
                return .failure(.resourceNameTaken)
            }
            var text: [SQLQueryString] = []
            if let name = edit.name { text += ["name = \(bind: name)", "name_key = \(bind: name.resourceNameKey)"] }
            if let description = edit.description { text.append("description = \(bind: description)") }
            if let schedule = edit.schedule {
                // A new schedule only while nothing is taken or waiting: no record may lose the periods it took.
                if let refusal = try await Self.busy(resourceID, at: now, in: tx.session, waiting: locked.resource.waitingEntries) {
                    return .failure(refusal)
                }
                text += ["schedule = \(bind: schedule?.stored)", "period_kind = \(bind: schedule?.kind.periodKind.rawValue)"]
            }
            // The stock first: a refused total changes nothing, the name included.
            let applied = try await locked.decide([.update(edit, by: actor)])
            if case .failure(let refusal) = applied.plan.outcomes[0] { return .failure(refusal) }
            if !text.isEmpty {
                if edit.schedule != nil {
                    // Nothing is taken in any period (checked above): the new schedule's periods start at capacity.
                    try await tx.session.sql.raw("DELETE FROM period_stock WHERE resource_id = \(bind: resourceID)").run()
                }
                do {
                    try await tx.session.sql.raw("UPDATE resources SET \(text.joined(separator: ", ")) WHERE id = \(bind: resourceID)").run()
                } catch let error as any DatabaseError where error.isConstraintFailure && edit.name != nil {
                    // Another resource took the name after the check above (it was renamed or added at the same
                    // moment, under its own lock): the unique index on name_key refused this one. Thrown, so
                    // the transaction rolls back.
                    throw AppError.resourceNameTaken
                }
            }
            guard let resource = try await SQLResourceStore(session: tx.session).find(.id(resourceID), at: now) else {
                throw DatabaseInvariantViolation("locked resource \(resourceID) vanished")
            }
            return .success(resource)
        }.get()
    }

    func setCapacity(resourceID: Int, on date: LocalDate, to total: Int?, at now: Date, by actor: EventActor) async throws {
        try await decideOn((resourceID, 0), notFound: .resourceNotFound, at: now) { locked in
            try await locked.decide([.setCapacity(date: date, total: total, by: actor)]).plan.outcomes[0].map { _ in () }
        }
    }

    func remove(resourceID: Int, at now: Date, by actor: EventActor) async throws {
        try await storage.withTransaction { tx -> Result<Void, AppError> in
            let session = tx.session
            // The lock keeps any booking, hold or waiting-list entry from starting on the resource meanwhile.
            guard let locked = try await LockedStock.lock(.id(resourceID), at: now, in: tx) else { return .failure(.resourceNotFound) }
            let resource = try await locked.decide([]).resource
            if let refusal = try await Self.busy(resourceID, at: now, in: session, waiting: resource.waitingEntries) { return .failure(refusal) }
            try await session.sql.raw("DELETE FROM period_stock WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM resource_calendar WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM bookings WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM booking_series WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM holds WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM waitlist_entries WHERE resource_id = \(bind: resourceID)").run()
            try await session.sql.raw("DELETE FROM resources WHERE id = \(bind: resourceID)").run()
            try await session.sql.raw(SQLEventStore.insert(NewEvent(.resourceDeleted, at: now, by: actor, subject: resource.subject,
                                                                    stock: resource.stock))).run()
            return .success(())
        }.get()
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
                try await LockedStock.lock(.id(resourceID), at: now, in: tx)?.decide([]).plan.reclaimed ?? 0
            }
        }
        return reclaimed
    }

    // MARK: Waiting lists

    func join(_ quantity: Int, of resourceID: Int, in range: PeriodRange?, for userID: Int, at now: Date) async throws -> WaitlistEntry {
        try await decideOn((resourceID, userID), notFound: .resourceNotFound, at: now) { locked in
            try await locked.span(of: range).flatMapAsync { span in
                let applied = try await locked.decide([.join(userID: userID, quantity: quantity, span: span)])
                return try await applied.plan.outcomes[0].mapAsync { outcome -> WaitlistEntry in
                    guard case .joined(let ref) = outcome else { throw DatabaseInvariantViolation("a join came to \(outcome)") }
                    return try await locked.entry(applied.entry(ref))
                }
            }
        }
    }

    func leave(entryID: Int, ownerID: Int?, removal: WaitlistRemoval?, at now: Date, by actor: EventActor) async throws -> WaitlistEntry {
        try await decideOn(try await named(.waitlistEntries, entryID, visibleTo: ownerID), notFound: .waitlistEntryNotFound, at: now) { locked in
            let applied = try await locked.decide([.leave(entryID: entryID, removal: removal, by: actor)], entries: [entryID])
            return try await applied.plan.outcomes[0].mapAsync { _ in try await locked.entry(entryID) }
        }
    }

    func decline(entryID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> WaitlistEntry {
        try await decideOn(try await named(.waitlistEntries, entryID, visibleTo: ownerID, refusingFinal: false), notFound: .waitlistEntryNotFound,
                                at: now) { locked in
            let applied = try await locked.decide([.decline(entryID: entryID, by: actor)], entries: [entryID])
            return try await applied.plan.outcomes[0].mapAsync { _ in try await locked.entry(entryID) }
        }
    }

    // MARK: Helpers

    /// In one transaction: locks the resource a record belongs to (`owner`; nil: no such record visible to
    /// the caller, `notFound`) and runs `work`. A refusal it returns commits what the lock did on the way
    /// (reclaimed holds, offers made) and is then thrown.
    private func decideOn<T: Sendable>(
        _ owner: (resourceID: Int, userID: Int)?, notFound: AppError, at now: Date,
        _ work: @escaping @Sendable (LockedStock) async throws -> Result<T, AppError>
    ) async throws -> T {
        guard let owner else { throw notFound }
        return try await storage.withTransaction { tx -> Result<T, AppError> in
            guard let locked = try await LockedStock.lock(.id(owner.resourceID), at: now, in: tx) else { return .failure(notFound) }
            return try await work(locked)
        }.get()
    }

    /// The resource and owner of a hold, booking or waiting-list entry (`table`) visible to `ownerID` (nil:
    /// any), which never change, so this read needs no lock; and its status, which the lock reads again.
    private func owner(of table: Table, _ id: Int, visibleTo ownerID: Int?) async throws -> (resourceID: Int, userID: Int, status: String)? {
        guard let row = try await session.sql.raw("SELECT resource_id, user_id, status FROM \(ident: table.rawValue) WHERE id = \(bind: id)").first() else {
            return nil
        }
        let userID = try row.decode(column: "user_id", as: Int.self)
        guard ownerID == nil || ownerID == userID else { return nil }
        return (try row.decode(column: "resource_id", as: Int.self), userID, try row.decode(column: "status", as: String.self))
    }

    /// A record a request names, found as its owner may see it, and refused without a lock if its final
    /// state alone refuses the request (``StockDecision/finalRefusal(_:)``: nothing changes a final state,
    /// so the read's answer is the lock's). nil when there is no such record.
    private func named(_ table: Table, _ id: Int, visibleTo ownerID: Int?, refusingFinal: Bool = true) async throws -> (resourceID: Int, userID: Int)? {
        guard let found = try await owner(of: table, id, visibleTo: ownerID) else { return nil }
        if refusingFinal, let state = table.state(found.status), let refusal = StockDecision.finalRefusal(state) { throw refusal }
        return (found.resourceID, found.userID)
    }

    enum Table: String {
        case bookings, holds, waitlistEntries = "waitlist_entries"

        func state(_ status: String) -> StockDecision.Named? {
            switch self {
            case .bookings: Booking.Status(rawValue: status).map(StockDecision.Named.booking)
            case .holds: Hold.Status(rawValue: status).map(StockDecision.Named.hold)
            case .waitlistEntries: WaitlistEntry.Status(rawValue: status).map(StockDecision.Named.entry)
            }
        }
    }

    /// Why a locked resource cannot be removed or change its schedule: active bookings, holds stored as
    /// held (the lock reclaims lapsed ones first), or entries waiting; nil when nothing is.
    private static func busy(_ resourceID: Int, at now: Date, in session: SQLSession, waiting: Int) async throws -> AppError? {
        let active = try await count(
            "SELECT COUNT(*) AS n FROM bookings WHERE resource_id = \(bind: resourceID) AND status = \(bind: Booking.Status.active.rawValue)",
            in: session)
        guard active == 0 else { return .resourceHasActiveBookings(count: active) }
        let held = try await count(
            "SELECT COUNT(*) AS n FROM holds WHERE resource_id = \(bind: resourceID) AND status = \(bind: Hold.Status.held.rawValue)",
            in: session)
        guard held == 0 else { return .resourceHasActiveHolds(count: held) }
        return waiting == 0 ? nil : .resourceHasWaitingList(count: waiting)
    }

    private static func count(_ query: SQLQueryString, in session: SQLSession) async throws -> Int {
        try await session.sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

extension Result where Failure == AppError {
    /// Chains an async, throwing step that may refuse, keeping a refusal as it is.
    func flatMapAsync<T>(_ transform: (Success) async throws -> Result<T, AppError>) async throws -> Result<T, AppError> {
        switch self {
        case .success(let value): try await transform(value)
        case .failure(let error): .failure(error)
        }
    }

    /// Maps a success with an async, throwing transform, keeping a refusal as it is.
    func mapAsync<T>(_ transform: (Success) async throws -> T) async throws -> Result<T, AppError> {
        switch self {
        case .success(let value): .success(try await transform(value))
        case .failure(let error): .failure(error)
        }
    }
}

extension LockedStock {
    func booking(_ id: Int) async throws -> Booking {
        guard let booking = try await SQLBookingStore(session: session).find(id: id) else { throw DatabaseInvariantViolation("booking \(id) vanished") }
        return booking
    }

    func hold(_ id: Int) async throws -> Hold {
        guard let hold = try await SQLHoldStore(session: session).find(id: id) else { throw DatabaseInvariantViolation("hold \(id) vanished") }
        return hold
    }

    func entry(_ id: Int) async throws -> WaitlistEntry {
        guard let entry = try await SQLWaitlistStore(session: session).find(id: id) else {
            throw DatabaseInvariantViolation("waiting-list entry \(id) vanished")
        }
        return entry
    }
}
