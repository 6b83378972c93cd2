import Foundation

/// Idempotency keys for requests that create a booking or a hold, per user. A key is first *claimed* (a
/// lease held by one request), then *completed* in the same transaction that creates the record, or
/// *released* if the request failed.
public protocol IdempotencyStore: Sendable {
    /// Claims `key` for this request. Keys created before `expiredBefore` are forgotten first; a lease taken
    /// before `staleBefore` (its holder died) can be taken over, but only by a request with the same body.
    func claim(userID: Int, key: String, requestHash: String, now: Date, staleBefore: Date, expiredBefore: Date) async throws -> IdempotencyClaim
    /// Records what the request created against the key; false if this request's lease was lost meanwhile.
    func complete(userID: Int, key: String, token: String, record: IdempotentRecord) async throws -> Bool
    /// Gives up a key whose request failed and changed nothing, so a retry runs afresh. A completed key is
    /// never released.
    func release(userID: Int, key: String, token: String) async throws
    /// Deletes up to `limit` keys of anyone created before `expiredBefore`; returns how many.
    func deleteExpired(before expiredBefore: Date, limit: Int) async throws -> Int
}

public enum IdempotencyClaim: Sendable, Equatable {
    /// This request owns the key and must complete or release it with `token`.
    case claimed(token: String)
    /// An earlier request with this key created the record with this id (a booking or a hold: the request
    /// hash says which kind of request it was).
    case completed(recordID: Int, requestHash: String)
    /// Another request holds a live lease on the key.
    case inProgress(requestHash: String)
}

/// What a request under an Idempotency-Key created.
public enum IdempotentRecord: Sendable, Equatable {
    case booking(Int)
    case hold(Int)
    case series(Int)
}

/// A claimed Idempotency-Key that the ``Inventory`` completes in the same transaction that takes the
/// units, so "booked" (or "held") and "key used" cannot disagree.
public struct IdempotencyCompletion: Sendable, Equatable {
    public let userID: Int
    public let key: String
    /// The lease this request holds (``IdempotencyClaim/claimed(token:)``).
    public let token: String

    public init(userID: Int, key: String, token: String) {
        self.userID = userID
        self.key = key
        self.token = token
    }
}
