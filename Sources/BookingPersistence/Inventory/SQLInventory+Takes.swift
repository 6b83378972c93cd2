import AsyncPrimitives
import BookingDomain
import Foundation
import SQLKit

/// A request to take units of a resource for a user: for a booking, or for a hold lasting until a date.
struct TakeRequest: Sendable {
    enum Kind: Sendable {
        case booking
        case hold(until: Date)
    }

    let kind: Kind
    let quantity: Int
    /// A dated resource's range; nil for a pool.
    let range: PeriodRange?
    let userID: Int
    let now: Date
    /// The Idempotency-Key to complete in the same transaction.
    let completing: IdempotencyCompletion?

    var isHold: Bool {
        if case .hold = kind { return true }
        return false
    }

    /// The rule's request for it, in the periods of `span`.
    func stockRequest(in span: Span) -> StockRequest {
        switch kind {
        case .booking: .book(userID: userID, quantity: quantity, span: span)
        case .hold(let until): .hold(userID: userID, quantity: quantity, until: until, span: span)
        }
    }

    /// `stock` once this request's units are taken.
    func taking(from stock: Stock) -> Stock {
        switch kind {
        case .booking: stock.moving(available: -quantity)
        case .hold: stock.moving(available: -quantity, held: quantity)
        }
    }
}

/// What a take made.
enum Taken: Sendable {
    case booking(Booking)
    case hold(Hold)

    var record: IdempotentRecord {
        switch self {
        case .booking(let booking): .booking(booking.id)
        case .hold(let hold): .hold(hold.id)
        }
    }
}

/// The takes waiting for their resource's next transaction, for the whole process (one per ``SQLStorage``
/// on the pool): group commit in the application. See ``SQLInventory/takeBatch(_:of:)``.
final class TakeBatches: Sendable {
    let queue: BatchQueue<Int, BatchedTake, Taken>

    init(maxBatch: Int, observe: @escaping @Sendable (Int) -> Void) {
        queue = BatchQueue(maxBatch: maxBatch, observe: observe) { resourceID, takes in
            await SQLInventory.takeBatch(takes, of: resourceID)
        }
    }
}

/// A take waiting in a batch: the request, the resource as the client named it, and the storage to run on.
struct BatchedTake: Sendable {
    let request: TakeRequest
    let reference: ResourceReference
    /// For a resource named by name: the name's key, which the resource must still have when the batch runs.
    let nameKey: String?
    let storage: SQLStorage
    /// When tracing: its request's span and the time it waits for its batch (``TakeTrace``).
    var trace: TakeTrace? = nil
}

/// The resource a take named by name was batched for has been renamed (or deleted) since the name was
/// looked up: look it up again.
private struct ResourceRenamed: Error {}

extension SQLInventory {
    /// Takes units for `request`. On the pool with batching on, the take joins its resource's batch
    /// (``TakeBatches``): alone if nothing else is in flight on that resource in this process, otherwise
    /// with every take that arrived meanwhile, in one transaction. Inside a transaction, it runs there.
    func take(_ request: TakeRequest, of reference: ResourceReference) async throws -> Taken {
        guard let batches = storage.takeBatches else { return try await takeAlone(request, of: reference) }
        // A name is looked up first, since batches are per resource; a rename in between sends it round again.
        for _ in 0..<3 {
            let resourceID: Int, nameKey: String?
            switch reference {
            case .id(let id):
                (resourceID, nameKey) = (id, nil)
            case .name(let name):
                guard let row = try await session.sql.raw("""
                    SELECT id FROM resources WHERE name_key = \(bind: name.resourceNameKey)
                    """).first() else { throw AppError.resourceNotFound }
                (resourceID, nameKey) = (try row.decode(column: "id", as: Int.self), name.resourceNameKey)
            }
            let take = BatchedTake(request: request, reference: reference, nameKey: nameKey, storage: storage,
                                   trace: storage.tracer.flatMap(TakeTrace.submitted(with:)))
            do {
                return try await batches.queue.submit(take, for: resourceID)
            } catch is ResourceRenamed {
                continue
            }
        }
        throw AppError.resourceNotFound
    }

    /// Serves one batch of takes of one resource. A batch of one runs as a take alone (on PostgreSQL, one
    /// statement when it can). More run in one transaction that locks the resource once and decides each
    /// in arrival order as it would be decided alone at its turn (``takeTogether(_:of:in:)``); if that
    /// transaction fails, every take of the batch gets its error and nothing of it is committed.
    static func takeBatch(_ takes: [BatchedTake], of resourceID: Int) async -> [Result<Taken, any Error>] {
        guard let tracer = takes.first?.storage.tracer else { return await serve(takes, of: resourceID) }
        return await TakeTrace.batch(takes, of: resourceID, tracer: tracer) { await serve(takes, of: resourceID) }
    }

    /// Serves the batch: see ``takeBatch(_:of:)``.
    private static func serve(_ takes: [BatchedTake], of resourceID: Int) async -> [Result<Taken, any Error>] {
        if takes.count == 1, let take = takes.first {
            do {
                return [.success(try await SQLInventory(storage: take.storage).takeAlone(take.request, of: take.reference))]
            } catch {
                return [.failure(error)]
            }
        }
        do {
            return try await takes[0].storage.withTransaction { tx in try await takeTogether(takes, of: resourceID, in: tx) }
        } catch {
            return takes.map { _ in .failure(error) }
        }
    }

    /// A take on its own, with its key completed in the same transaction.
    private func takeAlone(_ request: TakeRequest, of reference: ResourceReference) async throws -> Taken {
        guard let key = request.completing else { return try await takeAloneUnkeyed(request, of: reference) }
        return try await storage.withTransaction { tx in
            let taken = try await SQLInventory(storage: tx).takeAloneUnkeyed(request, of: reference)
            try await Self.complete(key, with: taken.record, in: tx.session)
            return taken
        }
    }

    /// On PostgreSQL, first the one statement (``takeInOneStatement``) where it applies; when it takes
    /// nothing, a plain resource too short of units is refused without a lock, from a read (the rule
    /// applied to the stock as read: linearizable at that read); anything else is decided under the lock.
    private func takeAloneUnkeyed(_ request: TakeRequest, of reference: ResourceReference) async throws -> Taken {
        // A hold under the bound on units held needs the user's units, so it goes to the lock.
        if session.dialect == .postgres, request.range == nil, !(request.isHold && storage.policy.maxHeldPerUser != nil) {
            if let taken = try await takeInOneStatement(request, of: reference) { return taken }
            try await refuseWithoutLockIfPlain(request, of: reference)
        }
        return try await storage.withTransaction { tx -> Result<Taken, AppError> in
            guard let locked = try await LockedStock.lock(reference, at: request.now, in: tx) else { return .failure(.resourceNotFound) }
            return try await locked.span(of: request.range).flatMapAsync { span in
                let applied = try await locked.decide([request.stockRequest(in: span)])
                return applied.plan.outcomes[0].map { Self.taken(request, span, $0, applied) }
            }
        }.get()
    }

    /// After the one statement took nothing: a resource without limits, a waiting list or lapsed holds
    /// whose units would make the request fit is refused (insufficient units) by the rule from the stock
    /// as it reads now, without a lock; anything else returns and is decided under the lock.
    private func refuseWithoutLockIfPlain(_ request: TakeRequest, of reference: ResourceReference) async throws {
        guard let current = try await SQLResourceStore(session: session).find(reference, at: request.now) else { throw AppError.resourceNotFound }
        guard current.schedule == nil, current.limits.isUnlimited, current.waitingEntries == 0, current.stock.available < request.quantity else {
            return
        }
        let snapshot = StockSnapshot(resource: .init(id: current.id, name: current.name, description: current.description, limits: current.limits),
                                     stock: [.whole: current.stock], waitingCount: 0)
        if case .failure(let refusal) = StockDecision.decide(snapshot, [request.stockRequest(in: .whole)], policy: storage.policy,
                                                             at: request.now).outcomes[0] {
            throw refusal
        }
    }

    /// PostgreSQL's hot path: ``StockDecision`` specialised for the case where it decides by the available
    /// units alone (a pool's one period, no limits, no waiting list, and for a hold no bound on units held),
    /// as one conditional statement: the UPDATE that takes the request's available units (to held for a
    /// hold) and the INSERT of the booking or hold that gets them, atomic on its own: on the pool it costs
    /// one round trip, and it locks only the resource row, for no longer than the statement, so the lock
    /// order stays the resource row first. The same statement writes the event, with the resource's stock
    /// as a read would show it right after (lapsed holds counted as available). nil when it took nothing
    /// (too few units, limits, a waiting list, no such resource): the locked path decides then. The
    /// property tests (`StockPropertyTests`) hold it to the rule.
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
                      AND max_per_user IS NULL AND max_per_booking IS NULL AND waiting_count = 0 AND schedule IS NULL
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

    /// Several takes of one resource in one transaction: locks it once and lets the rule decide them in
    /// arrival order, each as it would be decided alone at its turn (``StockDecision``): the units, limits
    /// and waiting list it meets are what the takes before it left. The refused ones are answered with
    /// their refusal and change nothing; the others are recorded together (one UPDATE of the resource, one
    /// INSERT of the bookings, of the holds and of the events) and their keys completed.
    private static func takeTogether(_ takes: [BatchedTake], of resourceID: Int, in tx: SQLStorage) async throws -> [Result<Taken, any Error>] {
        let session = tx.session
        let now = takes.map(\.request.now).max() ?? Date()
        guard let locked = try await LockedStock.lock(.id(resourceID), at: now, in: tx) else {
            return takes.map { .failure($0.nameKey == nil ? AppError.resourceNotFound : ResourceRenamed()) }
        }
        var results = [Result<Taken, any Error>?](repeating: nil, count: takes.count)
        var admitted: [(index: Int, span: Span)] = []
        for (index, take) in takes.enumerated() {
            if let nameKey = take.nameKey, nameKey != locked.resource.name.resourceNameKey {
                results[index] = .failure(ResourceRenamed())
            } else if case .failure(let refusal) = locked.span(of: take.request.range) {
                results[index] = .failure(refusal)
            } else if let key = take.request.completing, try await !holdsLease(key, in: session) {
                results[index] = .failure(AppError.idempotencyKeyInProgress)
            } else if case .success(let span) = locked.span(of: take.request.range) {
                admitted.append((index, span))
            }
        }
        let applied = try await locked.decide(admitted.map { takes[$0.index].request.stockRequest(in: $0.span) })
        for (position, (index, span)) in admitted.enumerated() {
            let request = takes[index].request
            switch applied.plan.outcomes[position] {
            case .success(let outcome):
                let taken = taken(request, span, outcome, applied)
                try await complete(request.completing, with: taken.record, in: session)
                results[index] = .success(taken)
            case .failure(let refusal):
                results[index] = .failure(refusal)
            }
        }
        return results.map { $0 ?? .failure(DatabaseInvariantViolation("a take of a batch was left undecided")) }
    }

    /// The booking or hold a take's outcome made, as the client sees it.
    static func taken(_ request: TakeRequest, _ span: Span, _ outcome: StockOutcome, _ applied: LockedStock.Applied) -> Taken {
        let resource = applied.resource
        switch (outcome, request.kind) {
        case (.booked(let ref), _):
            return .booking(Booking(id: applied.booking(ref), resourceID: resource.id, resourceName: resource.name, userID: request.userID,
                                    purchaseQuantity: request.quantity, bookingDate: request.now, status: .active, range: span.range))
        case (.held(let ref), .hold(let until)):
            return .hold(Hold(id: applied.hold(ref), resourceID: resource.id, resourceName: resource.name, userID: request.userID,
                              quantity: request.quantity, storedStatus: .held, createdAt: request.now, expiresAt: until, bookingID: nil,
                              range: span.range))
        default:
            preconditionFailure("a take came to \(outcome)")
        }
    }

    /// Locks the key's row if this request still holds its lease: a retry taking the key over after the
    /// lease ran out then waits for this transaction, and finds the key completed.
    private static func holdsLease(_ key: IdempotencyCompletion, in session: SQLSession) async throws -> Bool {
        try await session.sql.raw("""
            SELECT user_id FROM idempotency_keys
            WHERE user_id = \(bind: key.userID) AND idempotency_key = \(bind: key.key) AND claim_token = \(bind: key.token)
              AND booking_id IS NULL AND hold_id IS NULL AND series_id IS NULL\(session.lockRows)
            """).first() != nil
    }

    /// Completes `key` with what its take made, in the take's transaction. Throws
    /// ``AppError/idempotencyKeyInProgress`` if the lease was lost and another request took the key over
    /// (let that one do it); in a batch the lease row is locked first (``holdsLease(_:in:)``), so there it cannot.
    static func complete(_ key: IdempotencyCompletion?, with record: IdempotentRecord, in session: SQLSession) async throws {
        guard let key else { return }
        guard try await SQLIdempotencyStore(session: session).complete(userID: key.userID, key: key.key, token: key.token,
                                                                       record: record) else {
            throw AppError.idempotencyKeyInProgress
        }
    }
}
