import BookingDomain
import Foundation
import SQLKit

/// The waiting lists of ``SQLInventory``: joining and leaving them, and serving them. Every change to a
/// list runs under its resource's row lock (``SQLInventory/locked(_:at:in:)``), so entries, offers and
/// the stock change together, in one order on every server.
extension SQLInventory {
    func join(_ quantity: Int, of resourceID: Int, for userID: Int, at now: Date) async throws -> WaitlistEntry {
        try await storage.withTransaction { tx -> Result<WaitlistEntry, AppError> in
            let session = tx.session
            guard let resource = try await Self.locked(.id(resourceID), at: now, in: tx) else { return .failure(.resourceNotFound) }
            if let refusal = try await Self.refusal(taking: quantity, holding: false, of: resource, for: userID, in: tx) { return .failure(refusal) }
            // An entry may ask for no more than its user could hold, since its offer is a hold.
            if let most = tx.policy.maxEntryQuantity(under: resource.limits), resource.limits.maxPerUser == nil, quantity > most {
                return .failure(.perUserHoldLimit(max: most, remaining: most))
            }
            guard WaitlistServing.canServe(quantity: quantity, of: resource) else {
                return .failure(.invalidField(field: "quantity",
                                              reason: "quantity cannot exceed the resource's total of \(resource.stock.total) unit(s)"))
            }
            // Under the lock, so the partial unique index below only backs this up.
            let open = try await session.sql.raw("""
                SELECT id FROM waitlist_entries
                WHERE resource_id = \(bind: resourceID) AND user_id = \(bind: userID) AND status IN ('waiting', 'offered')
                """).first()
            guard open == nil else { return .failure(.alreadyWaiting) }
            let id = try await session.insertReturningID("""
                INSERT INTO waitlist_entries (resource_id, user_id, quantity, status, passed_units, created_at)
                VALUES (\(bind: resourceID), \(bind: userID), \(bind: quantity), \(bind: WaitlistEntry.Status.waiting.rawValue), 0, \(bind: now))
                """)
            let joined = try await session.sql.raw("""
                UPDATE resources SET waiting_count = waiting_count + 1 WHERE id = \(bind: resourceID) RETURNING \(Resource.columns)
                """).first()
            guard let joined else { throw DatabaseInvariantViolation("locked resource \(resourceID) vanished") }
            let listed = try Resource(row: joined)
            try await Self.record(NewEvent(.waitlistJoined, at: now, by: .user(userID),
                                           subject: EventSubject(resourceID: resourceID, resourceName: listed.name, waitlistEntryID: id, userID: userID),
                                           quantity: quantity, stock: listed.stock), in: session)
            _ = try await Self.serve(listed, at: now, in: tx, joined: id)
            return .success(try await Self.entry(id, in: session))
        }.get()
    }

    func leave(entryID: Int, ownerID: Int?, removal: WaitlistRemoval?, at now: Date, by actor: EventActor) async throws -> WaitlistEntry {
        try await storage.withTransaction { tx -> Result<WaitlistEntry, AppError> in
            let session = tx.session
            guard let (resource, entry) = try await Self.lockedEntry(entryID, ownerID: ownerID, at: now, in: tx) else {
                return .failure(.waitlistEntryNotFound)
            }
            let resourceID = resource.id, status = entry.storedStatus
            guard status.isOpen else { return .failure(.waitlistEntryEnded) }
            // The event first: it is what the caller did; any offer its units lead to comes after it.
            let units = entry.offer == nil ? 0 : entry.quantity
            var details: [String: EventValue] = [:]
            if let removal { details["reason"] = .string(removal.reason) }
            try await Self.record(NewEvent(removal == nil ? .waitlistLeft : .waitlistRemoved, at: now, by: actor, subject: entry.subject,
                                           quantity: entry.quantity, stock: resource.stock.moving(available: units, held: -units),
                                           details: details), in: session)
            try await session.sql.raw("""
                UPDATE waitlist_entries SET status = \(bind: (removal == nil ? WaitlistEntry.Status.left : .removed).rawValue),
                    ended_at = \(bind: now), removed_reason = \(bind: removal?.reason), removed_by = \(bind: removal?.adminID)
                WHERE id = \(bind: entryID)
                """).run()
            if status == .waiting {
                let left = try await session.sql.raw("""
                    UPDATE resources SET waiting_count = waiting_count - 1 WHERE id = \(bind: resourceID) RETURNING \(Resource.columns)
                    """).first()
                guard let left else { throw DatabaseInvariantViolation("locked resource \(resourceID) vanished") }
                // It may have been the barrier the entries behind it were waiting on.
                _ = try await Self.serve(try Resource(row: left), at: now, in: tx)
            } else {
                try await Self.withdrawOffer(of: entryID, from: resourceID, at: now, by: nil, in: tx)
            }
            return .success(try await Self.entry(entryID, in: session))
        }.get()
    }

    func decline(entryID: Int, ownerID: Int?, at now: Date, by actor: EventActor) async throws -> WaitlistEntry {
        try await storage.withTransaction { tx -> Result<WaitlistEntry, AppError> in
            guard let (resource, entry) = try await Self.lockedEntry(entryID, ownerID: ownerID, at: now, in: tx) else {
                return .failure(.waitlistEntryNotFound)
            }
            guard entry.storedStatus == .offered else { return .failure(.noPendingOffer) }
            try await Self.withdrawOffer(of: entryID, from: resource.id, at: now, by: actor, in: tx)
            return .success(try await Self.entry(entryID, in: tx.session))
        }.get()
    }

    /// Locks the resource of an entry visible to `ownerID` (nil: any), settling it, and reads the entry
    /// under the lock: every change to an entry happens under its resource's lock, so it stays as read
    /// until this transaction ends. nil when there is no such entry.
    private static func lockedEntry(
        _ entryID: Int, ownerID: Int?, at now: Date, in tx: SQLStorage
    ) async throws -> (resource: Resource, entry: WaitlistEntry)? {
        let session = tx.session
        guard let resourceID = try await owner(of: "waitlist_entries", entryID, visibleTo: ownerID, in: session)?.resourceID,
              let resource = try await locked(.id(resourceID), at: now, in: tx),
              let entry = try await SQLWaitlistStore(session: session).find(id: entryID)
        else { return nil }
        return (resource, entry)
    }

    /// Releases the pending offer of an offered entry (declining it, unless it has ended already); its
    /// units pass on down the list. With `actor`, that is a decline and writes its event.
    private static func withdrawOffer(of entryID: Int, from resourceID: Int, at now: Date, by actor: EventActor?, in tx: SQLStorage) async throws {
        guard try await releaseHeld("waitlist_entry_id = \(bind: entryID)", of: resourceID, at: now, by: actor, in: tx) else {
            throw DatabaseInvariantViolation("offered entry \(entryID) has no held offer")
        }
    }

    /// Ends an offered entry as its offer ends (accepted or declined).
    static func endEntry(_ entryID: Int, as status: WaitlistEntry.Status, at now: Date, in session: SQLSession) async throws {
        try await session.sql.raw("""
            UPDATE waitlist_entries SET status = \(bind: status.rawValue), ended_at = \(bind: now)
            WHERE id = \(bind: entryID) AND status = 'offered'
            """).run()
    }

    private static func entry(_ id: Int, in session: SQLSession) async throws -> WaitlistEntry {
        guard let entry = try await SQLWaitlistStore(session: session).find(id: id) else {
            throw DatabaseInvariantViolation("waiting-list entry \(id) vanished")
        }
        return entry
    }

    /// Why a booking or hold may not take the locked resource's free units: they are gathering for a
    /// waiting entry that has been overtaken by its quantity already (``WaitlistServing/blocksPublic(quantity:passedUnits:of:mayTake:)``).
    /// nil if none is; the locked transaction served the list already, so no entry fits the free units.
    static func waitlistRefusal(of resource: Resource, in tx: SQLStorage) async throws -> AppError? {
        guard resource.waitingEntries > 0 else { return nil }
        let session = tx.session
        let barriers = try await session.sql.raw("""
            SELECT user_id, quantity, passed_units FROM waitlist_entries
            WHERE resource_id = \(bind: resource.id) AND status = 'waiting' AND passed_units >= quantity AND \(Self.activeOwner)
            ORDER BY id LIMIT 20
            """).all()
        for row in barriers {
            let quantity = try row.decode(column: "quantity", as: Int.self)
            let mayTake = try await refusal(taking: quantity, holding: true, of: resource, for: try row.decode(column: "user_id", as: Int.self),
                                            in: tx) == nil
            if WaitlistServing.blocksPublic(quantity: quantity, passedUnits: try row.decode(column: "passed_units", as: Int.self),
                                            of: resource, mayTake: mayTake) {
                return .reservedForWaitlist(available: resource.stock.available, waiting: resource.waitingEntries)
            }
        }
        return nil
    }

    /// Units a booking or hold of `userID` took past the entries waiting on the locked resource count against
    /// the bound on how far each may be overtaken, except that user's own: what someone takes never
    /// counts against their own place in the line (else one account could turn its own entry into a
    /// barrier by booking and cancelling). Returns the last entry it passed, which the booking or hold
    /// keeps (`passed_through`) to give the passes back when its units return (``giveBackPasses``); nil
    /// when it passed none.
    static func overtake(_ resource: Resource, by quantity: Int, for userID: Int, in session: SQLSession) async throws -> Int? {
        guard resource.waitingEntries > 0 else { return nil }
        return try await session.sql.raw("""
            UPDATE waitlist_entries SET passed_units = passed_units + \(bind: quantity)
            WHERE resource_id = \(bind: resource.id) AND status = 'waiting' AND user_id <> \(bind: userID)
            RETURNING id
            """).all().map { try $0.decode(column: "id", as: Int.self) }.max()
    }

    /// Units that come back (a cancelled booking; a released, lapsed or declined hold or offer) no longer
    /// count as having passed the entries their take passed (`passedThrough`, from ``overtake``): units
    /// taken and given back again overtook nobody, so churn (book and cancel, take an offer and decline it)
    /// never builds a barrier, and a barrier lasts only while what passed it stays taken.
    static func giveBackPasses(_ quantity: Int, through passedThrough: Int?, of userID: Int, on resourceID: Int,
                               in session: SQLSession) async throws {
        guard let passedThrough else { return }
        try await session.sql.raw("""
            UPDATE waitlist_entries
            SET passed_units = CASE WHEN passed_units > \(bind: quantity) THEN passed_units - \(bind: quantity) ELSE 0 END
            WHERE resource_id = \(bind: resourceID) AND status = 'waiting' AND id <= \(bind: passedThrough) AND user_id <> \(bind: userID)
            """).run()
    }

    /// Serves the locked resource's waiting list by ``WaitlistServing``: walks the entries waiting, in
    /// the order they joined, offering each that gets units a hold for `offerTTL`, until the free units
    /// run out or a barrier stops it. Returns the resource as it is after.
    ///
    /// Only entries that could get an offer or stop the walk are read (their quantity fits what is left,
    /// or they have been overtaken by their quantity already), a page at a time.
    ///
    /// `joined`: the entry that joined in this transaction; if it is offered at once (nobody waited for the
    /// units) its offer is an ordinary hold and lasts no longer than one (``StockPolicy/immediateOfferTTL``).
    static func serve(_ resource: Resource, at now: Date, in tx: SQLStorage, joined: Int? = nil) async throws -> Resource {
        guard resource.waitingEntries > 0, resource.stock.available > 0 else { return resource }
        let session = tx.session
        var free = resource.stock.available, after = 0, offers = 0
        walk: while free > 0 {
            let page = try await session.sql.raw("""
                SELECT id, user_id, quantity, passed_units FROM waitlist_entries
                WHERE resource_id = \(bind: resource.id) AND status = 'waiting' AND id > \(bind: after)
                  AND (quantity <= \(bind: free) OR passed_units >= quantity) AND \(Self.activeOwner)
                ORDER BY id LIMIT 50
                """).all()
            guard !page.isEmpty else { break }
            for row in page {
                let id = try row.decode(column: "id", as: Int.self), userID = try row.decode(column: "user_id", as: Int.self)
                let quantity = try row.decode(column: "quantity", as: Int.self)
                after = id
                let mayTake = try await refusal(taking: quantity, holding: true, of: resource, for: userID, in: tx) == nil
                switch WaitlistServing.decide(quantity: quantity, passedUnits: try row.decode(column: "passed_units", as: Int.self),
                                              free: free, of: resource, mayTake: mayTake) {
                case .skip:
                    continue
                case .stop:
                    break walk
                case .offer:
                    free -= quantity
                    let stock = resource.stock.moving(available: free - resource.stock.available, held: resource.stock.available - free)
                    try await offer(quantity, of: resource, to: id, of: userID, leaving: stock, at: now,
                                    lasting: id == joined ? tx.policy.immediateOfferTTL : tx.policy.offerTTL, in: tx)
                    offers += 1
                    if free == 0 { break walk }
                }
            }
        }
        guard offers > 0 else { return resource }
        let offered = resource.stock.available - free
        let served = try await session.sql.raw("""
            UPDATE resources SET available_quantity = available_quantity - \(bind: offered), held_quantity = held_quantity + \(bind: offered),
                waiting_count = waiting_count - \(bind: offers)
            WHERE id = \(bind: resource.id)
            RETURNING \(Resource.columns)
            """).first()
        guard let served else { throw DatabaseInvariantViolation("locked resource \(resource.id) vanished") }
        tx.afterCommit { $0.offersMade += offers }
        return try Resource(row: served)
    }

    /// The entry's user is active: a deactivated user's entries keep their place but are passed over (an
    /// offer they could not take would only hold the line up), and are served again if they are reactivated.
    private static let activeOwner: SQLQueryString = "EXISTS (SELECT 1 FROM users u WHERE u.id = waitlist_entries.user_id AND u.is_active = \(bind: true))"

    /// An entry's offer: a hold of its units for its user, `lasting` so long; every entry still waiting
    /// ahead of it has been overtaken by that many units. Its event (`waitlist.offered`, by the system)
    /// carries the resource's `stock` once the offer is made.
    private static func offer(
        _ quantity: Int, of resource: Resource, to entryID: Int, of userID: Int, leaving stock: Stock, at now: Date,
        lasting ttl: TimeInterval, in tx: SQLStorage
    ) async throws {
        let session = tx.session, resourceID = resource.id, expiresAt = now.addingTimeInterval(ttl)
        // It passes every entry still waiting ahead of it (below), as far as the one before its own.
        let holdID = try await session.insertReturningID("""
            INSERT INTO holds (resource_id, user_id, quantity, status, created_at, expires_at, waitlist_entry_id, passed_through)
            VALUES (\(bind: resourceID), \(bind: userID), \(bind: quantity), \(bind: Hold.Status.held.rawValue), \(bind: now),
                    \(bind: expiresAt), \(bind: entryID), \(bind: entryID - 1))
            """)
        try await record(NewEvent(.waitlistOffered, at: now, by: .system,
                                  subject: EventSubject(resourceID: resourceID, resourceName: resource.name, holdID: holdID,
                                                        waitlistEntryID: entryID, userID: userID),
                                  quantity: quantity, stock: stock, details: ["expires_at": .date(expiresAt)]), in: session)
        try await session.sql.raw("""
            UPDATE waitlist_entries SET status = \(bind: WaitlistEntry.Status.offered.rawValue), offered_at = \(bind: now) WHERE id = \(bind: entryID)
            """).run()
        try await session.sql.raw("""
            UPDATE waitlist_entries SET passed_units = passed_units + \(bind: quantity)
            WHERE resource_id = \(bind: resourceID) AND status = 'waiting' AND id < \(bind: entryID)
            """).run()
    }
}
