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
    let userID: Int
    let now: Date
    /// The Idempotency-Key to complete in the same transaction.
    let completing: IdempotencyCompletion?

    var isHold: Bool {
        if case .hold = kind { return true }
        return false
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
            do {
                return try await batches.queue.submit(
                    BatchedTake(request: request, reference: reference, nameKey: nameKey, storage: storage), for: resourceID)
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
            try await Self.complete(key, with: taken, in: tx.session)
            return taken
        }
    }

    /// On PostgreSQL, first the one statement (``takeInOneStatement``); else, or when it cannot decide, a
    /// transaction that locks the resource.
    private func takeAloneUnkeyed(_ request: TakeRequest, of reference: ResourceReference) async throws -> Taken {
        // A hold under the bound on units held needs the user's units, so it goes to the lock.
        if session.dialect == .postgres, !(request.isHold && storage.policy.maxHeldPerUser != nil) {
            if let taken = try await takeInOneStatement(request, of: reference) { return taken }
            try await refuseWithoutLockIfPlain(request.quantity, of: reference, at: request.now)
        }
        return try await storage.withTransaction { tx -> Result<Taken, AppError> in
            guard let resource = try await Self.locked(reference, at: request.now, in: tx) else { return .failure(.resourceNotFound) }
            return try await Self.takeLocked(request, of: resource, in: tx)
        }.get()
    }

    /// Decides one take on the resource this transaction has locked (`resource` as it is now): the user's
    /// limits, the waiting list, then the units available; records it if it may go ahead. A refusal is
    /// returned, not thrown, so the transaction keeps what it did on the way (reclaimed holds).
    static func takeLocked(_ request: TakeRequest, of resource: Resource, in tx: SQLStorage) async throws -> Result<Taken, AppError> {
        if let refusal = try await refusal(taking: request.quantity, holding: request.isHold, of: resource, for: request.userID, in: tx) {
            return .failure(refusal)
        }
        if let refusal = try await waitlistRefusal(of: resource, in: tx) { return .failure(refusal) }
        guard resource.stock.available >= request.quantity else {
            return .failure(.insufficientQuantity(requested: request.quantity, available: resource.stock.available))
        }
        let passedThrough = try await overtake(resource, by: request.quantity, for: request.userID, in: tx.session)
        return .success(try await record([(request, request.taking(from: resource.stock), passedThrough)], of: resource, in: tx.session)[0])
    }

    /// Several takes of one resource in one transaction: locks it once (reclaiming its lapsed holds), then
    /// decides the takes in arrival order, each as ``takeLocked(_:of:in:)`` would alone at its turn: the
    /// units and limits it meets are what the takes before it left. The refused ones are answered with
    /// their refusal and change nothing; the others are recorded together (one UPDATE of the resource, one
    /// INSERT of the bookings, of the holds and of the events) and their keys completed.
    private static func takeTogether(_ takes: [BatchedTake], of resourceID: Int, in tx: SQLStorage) async throws -> [Result<Taken, any Error>] {
        let session = tx.session
        let now = takes.map(\.request.now).max() ?? Date()
        guard var resource = try await locked(.id(resourceID), at: now, in: tx) else {
            return takes.map { .failure($0.nameKey == nil ? AppError.resourceNotFound : ResourceRenamed()) }
        }
        var results = [Result<Taken, any Error>?](repeating: nil, count: takes.count)
        var admitted: [Int] = []
        for (index, take) in takes.enumerated() {
            if let nameKey = take.nameKey, nameKey != resource.name.resourceNameKey {
                results[index] = .failure(ResourceRenamed())
            } else if let key = take.request.completing, try await !holdsLease(key, in: session) {
                results[index] = .failure(AppError.idempotencyKeyInProgress)
            } else {
                admitted.append(index)
            }
        }
        if resource.waitingEntries > 0 {
            // Each take may move the list's bounds for the next: one at a time, each recorded before the next is decided.
            for index in admitted {
                let result = try await takeLocked(takes[index].request, of: resource, in: tx)
                results[index] = result.mapError { $0 as any Error }
                if case .success(let taken) = result {
                    try await complete(takes[index].request.completing, with: taken, in: session)
                    resource = resource.with(stock: takes[index].request.taking(from: resource.stock))
                }
            }
            return results.map { $0 ?? .failure(DatabaseInvariantViolation("a take of a batch was left undecided")) }
        }
        var stock = resource.stock
        let counted = admitted.filter { needsOwned(resource, holding: takes[$0].request.isHold, policy: tx.policy) }
        var owned = try await units(of: Set(counted.map { takes[$0].request.userID }), in: resource.id, session: session)
        var accepted: [(index: Int, request: TakeRequest, stock: Stock)] = []
        for index in admitted {
            let request = takes[index].request
            do {
                try check(taking: request.quantity, holding: request.isHold, owned: owned[request.userID, default: Owned()], of: resource,
                          policy: tx.policy)
            } catch {
                results[index] = .failure(error)
                continue
            }
            guard stock.available >= request.quantity else {
                results[index] = .failure(AppError.insufficientQuantity(requested: request.quantity, available: stock.available))
                continue
            }
            stock = request.taking(from: stock)
            if request.isHold { owned[request.userID, default: Owned()].held += request.quantity } else {
                owned[request.userID, default: Owned()].booked += request.quantity
            }
            accepted.append((index, request, stock))
        }
        let recorded = try await record(accepted.map { ($0.request, $0.stock, nil) }, of: resource, in: session)
        for (take, taken) in zip(accepted, recorded) {
            try await complete(take.request.completing, with: taken, in: session)
            results[take.index] = .success(taken)
        }
        return results.map { $0 ?? .failure(DatabaseInvariantViolation("a take of a batch was left undecided")) }
    }

    /// Locks the key's row if this request still holds its lease: a retry taking the key over after the
    /// lease ran out then waits for this transaction, and finds the key completed.
    private static func holdsLease(_ key: IdempotencyCompletion, in session: SQLSession) async throws -> Bool {
        try await session.sql.raw("""
            SELECT user_id FROM idempotency_keys
            WHERE user_id = \(bind: key.userID) AND idempotency_key = \(bind: key.key) AND claim_token = \(bind: key.token)
              AND booking_id IS NULL AND hold_id IS NULL\(session.lockRows)
            """).first() != nil
    }

    /// Completes `key` with what its take made, in the take's transaction. Throws
    /// ``AppError/idempotencyKeyInProgress`` if the lease was lost and another request took the key over
    /// (let that one do it); in a batch the lease row is locked first (``holdsLease(_:in:)``), so there it cannot.
    private static func complete(_ key: IdempotencyCompletion?, with taken: Taken, in session: SQLSession) async throws {
        guard let key else { return }
        guard try await SQLIdempotencyStore(session: session).complete(userID: key.userID, key: key.key, token: key.token,
                                                                       record: taken.record) else {
            throw AppError.idempotencyKeyInProgress
        }
    }

    /// Records takes decided on the resource this transaction has locked, in their order: moves their
    /// units (available to booked, or to held), and writes each one's booking or hold (with the last
    /// waiting entry it passed) and its event, with `stock` the resource's stock right after it.
    private static func record(_ takes: [(request: TakeRequest, stock: Stock, passedThrough: Int?)], of resource: Resource,
                               in session: SQLSession) async throws -> [Taken] {
        guard !takes.isEmpty else { return [] }
        var units = 0, held = 0
        var bookings: [SQLQueryString] = [], holds: [SQLQueryString] = []
        for (request, _, passedThrough) in takes {
            units += request.quantity
            switch request.kind {
            case .booking:
                bookings.append("""
                    (\(bind: resource.id), \(bind: request.userID), \(bind: request.quantity), \(bind: Booking.Status.active.rawValue), \(bind: request.now), \(bind: passedThrough))
                    """)
            case .hold(let until):
                held += request.quantity
                holds.append("""
                    (\(bind: resource.id), \(bind: request.userID), \(bind: request.quantity), \(bind: Hold.Status.held.rawValue), \(bind: request.now), \(bind: until), \(bind: passedThrough))
                    """)
            }
        }
        try await session.sql.raw("""
            UPDATE resources SET available_quantity = available_quantity - \(bind: units), held_quantity = held_quantity + \(bind: held)
            WHERE id = \(bind: resource.id)
            """).run()
        var bookingIDs = try await session.insertReturningIDs(
            "INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date, passed_through)", values: bookings)[...]
        var holdIDs = try await session.insertReturningIDs(
            "INSERT INTO holds (resource_id, user_id, quantity, status, created_at, expires_at, passed_through)", values: holds)[...]
        var taken: [Taken] = [], events: [NewEvent] = []
        for (request, stock, _) in takes {
            switch request.kind {
            case .booking:
                let booking = Booking(id: bookingIDs.removeFirst(), resourceID: resource.id, resourceName: resource.name, userID: request.userID,
                                      purchaseQuantity: request.quantity, bookingDate: request.now, status: .active)
                taken.append(.booking(booking))
                events.append(NewEvent(.bookingCreated, at: request.now, by: .user(request.userID), subject: booking.subject,
                                       quantity: request.quantity, stock: stock))
            case .hold(let until):
                let hold = Hold(id: holdIDs.removeFirst(), resourceID: resource.id, resourceName: resource.name, userID: request.userID,
                                quantity: request.quantity, storedStatus: .held, createdAt: request.now, expiresAt: until, bookingID: nil)
                taken.append(.hold(hold))
                events.append(NewEvent(.holdCreated, at: request.now, by: .user(request.userID), subject: hold.subject,
                                       quantity: request.quantity, stock: stock, details: ["expires_at": .date(until)]))
            }
        }
        try await session.sql.raw(SQLEventStore.insert(events)).run()
        return taken
    }
}

extension Resource {
    /// The same resource with `stock` (a locked resource after a take this transaction recorded).
    fileprivate func with(stock: Stock) -> Resource {
        Resource(id: id, name: name, description: description, stock: stock, limits: limits, waitingEntries: waitingEntries)
    }
}
