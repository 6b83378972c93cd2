import Foundation
import SQLKit

/// Idempotency keys for booking requests, per user. A key is first *claimed* (a lease held by one
/// request), then *completed* in the booking's own transaction, or *released* if the booking failed.
struct IdempotencyStore {
    let sql: any SQLDatabase

    enum Claim: Equatable {
        /// This request owns the key and must complete or release it with `token`.
        case claimed(token: String)
        /// An earlier request with this key created the booking.
        case completed(bookingID: Int, requestHash: String)
        /// Another request holds a live lease on the key.
        case inProgress(requestHash: String)
    }

    /// Claims `key` for this request. Rows older than `expiredBefore` are forgotten first; a lease older
    /// than `staleBefore` (its holder died) can be taken over, but only by a request with the same body.
    func claim(userID: Int, key: String, requestHash: String, now: Date, staleBefore: Date, expiredBefore: Date) async throws -> Claim {
        try await sql.raw("""
            DELETE FROM idempotency_keys WHERE user_id = \(bind: userID) AND created_at < \(bind: expiredBefore)
            """).run()
        let token = UUID().uuidString
        let inserted = try await sql.raw("""
            INSERT INTO idempotency_keys (user_id, idempotency_key, request_hash, claim_token, locked_at, created_at)
            VALUES (\(bind: userID), \(bind: key), \(bind: requestHash), \(bind: token), \(bind: now), \(bind: now))
            ON CONFLICT DO NOTHING
            RETURNING claim_token
            """).first()
        if inserted != nil { return .claimed(token: token) }

        let takenOver = try await sql.raw("""
            UPDATE idempotency_keys SET claim_token = \(bind: token), locked_at = \(bind: now)
            WHERE user_id = \(bind: userID) AND idempotency_key = \(bind: key) AND booking_id IS NULL
              AND request_hash = \(bind: requestHash) AND locked_at < \(bind: staleBefore)
            RETURNING claim_token
            """).first()
        if takenOver != nil { return .claimed(token: token) }

        guard let row = try await sql.raw("""
            SELECT request_hash, booking_id FROM idempotency_keys
            WHERE user_id = \(bind: userID) AND idempotency_key = \(bind: key)
            """).first()
        else {
            // Released by its holder a moment ago; the client may simply retry.
            return .inProgress(requestHash: requestHash)
        }
        let storedHash = try row.decode(column: "request_hash", as: String.self)
        if let bookingID = try row.decode(column: "booking_id", as: Int?.self) {
            return .completed(bookingID: bookingID, requestHash: storedHash)
        }
        return .inProgress(requestHash: storedHash)
    }

    /// Records the booking against the key; false if this request's lease was lost meanwhile, in which
    /// case the caller must roll back.
    func complete(userID: Int, key: String, token: String, bookingID: Int) async throws -> Bool {
        try await sql.raw("""
            UPDATE idempotency_keys SET booking_id = \(bind: bookingID)
            WHERE user_id = \(bind: userID) AND idempotency_key = \(bind: key) AND claim_token = \(bind: token)
              AND booking_id IS NULL
            RETURNING booking_id
            """).first() != nil
    }

    /// Deletes up to `limit` keys of anyone created before `expiredBefore`; returns how many.
    func deleteExpired(before expiredBefore: Date, limit: Int) async throws -> Int {
        try await sql.raw("""
            DELETE FROM idempotency_keys WHERE (user_id, idempotency_key) IN (
                SELECT user_id, idempotency_key FROM idempotency_keys WHERE created_at < \(bind: expiredBefore)
                LIMIT \(bind: limit))
            RETURNING 1
            """).all().count
    }

    /// Gives the key up after a booking that failed and changed nothing, so a retry runs afresh.
    func release(userID: Int, key: String, token: String) async throws {
        try await sql.raw("""
            DELETE FROM idempotency_keys
            WHERE user_id = \(bind: userID) AND idempotency_key = \(bind: key) AND claim_token = \(bind: token)
              AND booking_id IS NULL
            """).run()
    }
}
