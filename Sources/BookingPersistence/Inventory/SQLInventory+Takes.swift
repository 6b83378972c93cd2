import AsyncPrimitives
import BookingDomain
import Foundation
import SQLKit
import Synchronization

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

    /// Whether PostgreSQL's one statement can decide it (when the resource's row allows): a pool's take;
    /// a hold under a bound on units held needs the user's units, so it goes to the lock.
    func fitsOneStatement(_ policy: StockPolicy) -> Bool {
        range == nil && !(isHold && policy.maxHeldPerUser != nil)
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
    let paths = TakePaths()

    init(maxBatch: Int, observe: @escaping @Sendable (Int) -> Void) {
        queue = BatchQueue(maxBatch: maxBatch, observe: observe) { resourceID, takes in
            await SQLInventory.takeBatch(takes, of: resourceID)
        }
    }
}

/// What this process last saw of each resource it took from, so that a take goes straight to the path
/// that can decide it: PostgreSQL's one statement is tried only for a resource it can apply to (no limits,
/// no waiting list, a pool: `plain`) that had enough units for it when last seen. What is seen is only a
/// hint (stale once another server or an admin changes the resource): it chooses the path, never the
/// outcome, since both paths are the rule and the one statement takes nothing it cannot. Every decision
/// under the lock sees the resource afresh and corrects it, so a resource whose limits were lifted goes
/// back to the one statement at its next take.
final class TakePaths: Sendable {
    enum Seen: Equatable {
        case plain(available: Int)
        case governed
    }

    private let seen = Mutex<[Int: Seen]>([:])

    /// Whether the one statement could take `units` of the resource as last seen (yes when never seen).
    func oneStatementMayTake(_ units: Int, of resourceID: Int) -> Bool {
        switch seen.withLock({ $0[resourceID] }) {
        case nil: true
        case .plain(let available): units <= available
        case .governed: false
        }
    }

    func isGoverned(_ resourceID: Int) -> Bool {
        seen.withLock { $0[resourceID] } == .governed
    }

    func saw(_ resourceID: Int, _ what: Seen) {
        seen.withLock { $0[resourceID] = what }
    }

    /// Notes `resource` as a decision under its lock left it.
    func saw(_ resource: Resource) {
        let plain = resource.schedule == nil && resource.limits.isUnlimited && resource.waitingEntries == 0
        saw(resource.id, plain ? .plain(available: resource.stock.available) : .governed)
    }
}

/// How the one-statement take (``SQLInventory/takeInOneStatement(_:of:named:)``) reads its takes: a lone
/// take's values bound in place; several as the rows of `asked` in arrival order (`turn`), each with the
/// units of the takes after it (`later`), and their records numbered in the same order (ids are given in
/// insertion order). Planning is most of what the statement costs PostgreSQL, and a lone take (every take
/// of a resource idle on this server) plans in about two thirds of the time in the plain form: with
/// arrays for it too, a booking spread over many resources lost about a seventh of its throughput.
/// `record` names each take's booking or hold where the events and the answer read it.
private struct OneStatementRows {
    let asked: SQLQueryString
    let user, quantity, at, until, details, later: SQLQueryString
    /// Where the INSERT of the records reads from, after `taken`.
    let source: SQLQueryString
    let numbered: SQLQueryString
    let eventSource: SQLQueryString
    let records: SQLQueryString

    init(_ requests: [TakeRequest]) {
        // A hold's expiry, and its event's details; a booking's are its time and none.
        let until = requests.map { request in
            if case .hold(let until) = request.kind { until } else { request.now }
        }
        let details = zip(requests, until).map { request, until in EventValue.json(request.isHold ? ["expires_at": .date(until)] : [:]) }
        if requests.count == 1, let take = requests.first {
            (asked, numbered) = ("", "")
            (user, quantity, at) = ("\(bind: take.userID)", "\(bind: take.quantity)", "\(bind: take.now)")
            (self.until, self.details, later) = ("\(bind: until[0])", "\(bind: details[0])", "0")
            source = "taken"
            eventSource = "made AS record, taken, lapsed"
            records = "made AS record, taken"
        } else {
            asked = """
                asked AS (
                    SELECT a.*, COALESCE(SUM(a.quantity) OVER (ORDER BY a.turn ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS later
                    FROM unnest(\(bind: requests.map(\.userID))::BIGINT[], \(bind: requests.map(\.quantity))::BIGINT[],
                                \(bind: requests.map(\.now))::TIMESTAMPTZ[], \(bind: until)::TIMESTAMPTZ[], \(bind: details)::TEXT[])
                         WITH ORDINALITY AS a(user_id, quantity, at, until, details, turn)
                ),
                """
            numbered = ", numbered AS (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS turn FROM made)"
            (user, quantity, at) = ("asked.user_id", "asked.quantity", "asked.at")
            (self.until, self.details, later) = ("asked.until", "asked.details", "asked.later")
            source = "taken, asked ORDER BY asked.turn"
            eventSource = "asked JOIN numbered AS record ON record.turn = asked.turn, taken, lapsed ORDER BY asked.turn"
            records = "numbered AS record, taken ORDER BY record.turn"
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
            if let taken = try await takeInOneStatement(takes, of: resourceID) { return taken.map { .success($0) } }
            let paths = takes[0].storage.takeBatches?.paths
            return try await takes[0].storage.withTransaction { tx in try await takeTogether(takes, of: resourceID, in: tx, paths: paths) }
        } catch {
            return takes.map { _ in .failure(error) }
        }
    }

    /// A batch in one statement (``takeInOneStatement(_:of:named:)``) on PostgreSQL, when every take of it
    /// fits one: all bookings or all holds, none with a key to complete, all named the same way. nil when
    /// it does not apply or took nothing: the batch's transaction decides then.
    private static func takeInOneStatement(_ takes: [BatchedTake], of resourceID: Int) async throws -> [Taken]? {
        let storage = takes[0].storage, first = takes[0].request
        guard storage.session.dialect == .postgres,
              takes.allSatisfy({ take in
                  take.request.fitsOneStatement(storage.policy) && take.request.completing == nil && take.request.isHold == first.isHold
                      && take.nameKey == takes[0].nameKey
              }) else { return nil }
        return try await SQLInventory(storage: storage).takeInOneStatement(takes.map(\.request), of: .id(resourceID), named: takes[0].nameKey)
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
        let paths = storage.takeBatches?.paths
        if session.dialect == .postgres, request.fitsOneStatement(storage.policy) {
            if let taken = try await takeInOneStatement([request], of: reference)?.first { return taken }
            if case .id(let id) = reference, paths?.isGoverned(id) == true {
                // Limits, a waiting list or periods: the lock decides.
            } else {
                try await refuseWithoutLockIfPlain(request, of: reference)
            }
        }
        return try await storage.withTransaction { tx -> Result<Taken, AppError> in
            guard let locked = try await LockedStock.lock(reference, at: request.now, in: tx) else { return .failure(.resourceNotFound) }
            return try await locked.span(of: request.range).flatMapAsync { span in
                let applied = try await locked.decide([request.stockRequest(in: span)])
                paths?.saw(applied.resource)
                return applied.plan.outcomes[0].map { Self.taken(request, span, $0, applied) }
            }
        }.get()
    }

    /// After the one statement took nothing: a resource without limits, a waiting list or lapsed holds
    /// whose units would make the request fit is refused (insufficient units) by the rule from the stock
    /// as it reads now, without a lock; anything else returns and is decided under the lock.
    private func refuseWithoutLockIfPlain(_ request: TakeRequest, of reference: ResourceReference) async throws {
        guard let current = try await SQLResourceStore(session: session).find(reference, at: request.now) else { throw AppError.resourceNotFound }
        storage.takeBatches?.paths.saw(current)
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
    /// as one conditional statement for takes of one kind in arrival order: the UPDATE that takes their
    /// units (to held for holds) if all of them fit, and the INSERT of the bookings or holds that get them,
    /// numbered in that order, atomic on its own: on the pool it costs one round trip, and it locks only
    /// the resource row, for no longer than the statement, so the lock order stays the resource row first.
    /// When all fit, each take alone at its turn would have been granted too (the units are all that
    /// decides), so the outcome is the rule's. The same statement writes an event per take, with the
    /// resource's stock as a read would show it right after that take (lapsed holds counted as available).
    /// nil when it took nothing (too few units for all of them, limits, a waiting list, no such resource,
    /// or not the name `nameKey`), or was not tried since this process last saw the resource unable to
    /// take them (``TakePaths``): the locked path decides then. The property tests
    /// (`StockPathsPropertyTests`) hold it to the rule, alone and in batches.
    func takeInOneStatement(_ requests: [TakeRequest], of reference: ResourceReference, named nameKey: String? = nil) async throws -> [Taken]? {
        guard let first = requests.first else { return [] }
        precondition(requests.allSatisfy { $0.isHold == first.isHold }, "one statement takes for bookings or for holds, not both")
        let units = requests.reduce(0) { $0 + $1.quantity }, now = requests.map(\.now).max() ?? first.now
        let paths = storage.takeBatches?.paths
        if case .id(let id) = reference, let paths, !paths.oneStatementMayTake(units, of: id) { return nil }
        let rows = OneStatementRows(requests)
        let toHeld: SQLQueryString, insert: SQLQueryString, event: (type: EventType, column: String)
        if first.isHold {
            toHeld = ", held_quantity = held_quantity + \(bind: units)"
            insert = """
                INSERT INTO holds (resource_id, user_id, quantity, status, created_at, expires_at)
                SELECT taken.id, \(rows.user), \(rows.quantity), \(bind: Hold.Status.held.rawValue), \(rows.at), \(rows.until) FROM \(rows.source)
                """
            event = (.holdCreated, "hold_id")
        } else {
            toHeld = ""
            insert = """
                INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date)
                SELECT taken.id, \(rows.user), \(rows.quantity), \(bind: Booking.Status.active.rawValue), \(rows.at) FROM \(rows.source)
                """
            event = (.bookingCreated, "booking_id")
        }
        // Held units after a take: the held ones of all (after the statement) less the holds taken after it.
        let heldLater: SQLQueryString = first.isHold ? rows.later : "0"
        let named: SQLQueryString = nameKey.map { " AND name_key = \(bind: $0)" } ?? ""
        let made = try await session.write { sql in
            try await sql.raw("""
                WITH \(rows.asked)taken AS (
                    UPDATE resources SET available_quantity = available_quantity - \(bind: units)\(toHeld)
                    WHERE \(Resource.matching(reference))\(named) AND available_quantity >= \(bind: units)
                      AND max_per_user IS NULL AND max_per_booking IS NULL AND waiting_count = 0 AND schedule IS NULL
                    RETURNING id, name, total_quantity, available_quantity, held_quantity
                ), made AS (
                    \(insert)
                    RETURNING id
                )\(rows.numbered), lapsed AS (
                    \(Hold.lapsedUnits(ofResource: "(SELECT id FROM taken)", at: now))
                ), logged AS (
                    INSERT INTO events (type, occurred_at, actor_id, resource_id, resource_name, \(ident: event.column), user_id, quantity,
                                        total, available, held, details)
                    SELECT \(bind: event.type.rawValue), \(rows.at), \(rows.user), taken.id, taken.name, record.id, \(rows.user),
                           \(rows.quantity), taken.total_quantity, taken.available_quantity + \(rows.later) + lapsed.units,
                           taken.held_quantity - \(heldLater) - lapsed.units, \(rows.details)
                    FROM \(rows.eventSource)
                )
                SELECT record.id, taken.id AS resource_id, taken.name AS resource_name, taken.available_quantity AS available
                FROM \(rows.records)
                """).all()
        }
        guard let last = made.last else { return nil }
        guard made.count == requests.count else { throw DatabaseInvariantViolation("a take of \(requests.count) in one statement made \(made.count)") }
        paths?.saw(try last.decode(column: "resource_id", as: Int.self), .plain(available: try last.decode(column: "available", as: Int.self)))
        return try zip(requests, made).map { request, row in
            let id = try row.decode(column: "id", as: Int.self), resourceID = try row.decode(column: "resource_id", as: Int.self)
            let resourceName = try row.decode(column: "resource_name", as: String.self)
            switch request.kind {
            case .booking:
                return .booking(Booking(id: id, resourceID: resourceID, resourceName: resourceName,
                                        userID: request.userID, purchaseQuantity: request.quantity, bookingDate: request.now, status: .active))
            case .hold(let until):
                return .hold(Hold(id: id, resourceID: resourceID, resourceName: resourceName, userID: request.userID, quantity: request.quantity,
                                  storedStatus: .held, createdAt: request.now, expiresAt: until, bookingID: nil))
            }
        }
    }

    /// Several takes of one resource in one transaction: locks it once and lets the rule decide them in
    /// arrival order, each as it would be decided alone at its turn (``StockDecision``): the units, limits
    /// and waiting list it meets are what the takes before it left. The refused ones are answered with
    /// their refusal and change nothing; the others are recorded together (one UPDATE of the resource, one
    /// INSERT of the bookings, of the holds and of the events) and their keys completed.
    private static func takeTogether(_ takes: [BatchedTake], of resourceID: Int, in tx: SQLStorage,
                                     paths: TakePaths?) async throws -> [Result<Taken, any Error>] {
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
        paths?.saw(applied.resource)
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
