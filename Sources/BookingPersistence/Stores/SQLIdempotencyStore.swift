import BookingDomain
import Foundation
import SQLKit

struct SQLIdempotencyStore: IdempotencyStore {
    let session: SQLSession

    func claim(userID: Int, key: String, requestHash: String, now: Date, staleBefore: Date, expiredBefore: Date) async throws -> IdempotencyClaim {
        try await session.write { sql in
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
                WHERE user_id = \(bind: userID) AND idempotency_key = \(bind: key) AND booking_id IS NULL AND hold_id IS NULL AND series_id IS NULL
                  AND request_hash = \(bind: requestHash) AND locked_at < \(bind: staleBefore)
                RETURNING claim_token
                """).first()
            if takenOver != nil { return .claimed(token: token) }

            guard let row = try await sql.raw("""
                SELECT request_hash, COALESCE(booking_id, hold_id, series_id) AS record_id FROM idempotency_keys
                WHERE user_id = \(bind: userID) AND idempotency_key = \(bind: key)
                """).first()
            else {
                // Released by its holder a moment ago; the client may simply retry.
                return .inProgress(requestHash: requestHash)
            }
            let storedHash = try row.decode(column: "request_hash", as: String.self)
            if let recordID = try row.decode(column: "record_id", as: Int?.self) {
                return .completed(recordID: recordID, requestHash: storedHash)
            }
            return .inProgress(requestHash: storedHash)
        }
    }

    func complete(userID: Int, key: String, token: String, record: IdempotentRecord) async throws -> Bool {
        let assignment: SQLQueryString = switch record {
        case .booking(let id): "booking_id = \(bind: id)"
        case .hold(let id): "hold_id = \(bind: id)"
        case .series(let id): "series_id = \(bind: id)"
        }
        return try await session.write { sql in
            try await sql.raw("""
                UPDATE idempotency_keys SET \(assignment)
                WHERE user_id = \(bind: userID) AND idempotency_key = \(bind: key) AND claim_token = \(bind: token)
                  AND booking_id IS NULL AND hold_id IS NULL AND series_id IS NULL
                RETURNING user_id
                """).first() != nil
        }
    }

    func release(userID: Int, key: String, token: String) async throws {
        try await session.write { sql in
            try await sql.raw("""
                DELETE FROM idempotency_keys
                WHERE user_id = \(bind: userID) AND idempotency_key = \(bind: key) AND claim_token = \(bind: token)
                  AND booking_id IS NULL AND hold_id IS NULL AND series_id IS NULL
                """).run()
        }
    }

    func deleteExpired(before expiredBefore: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "idempotency_keys", key: ["user_id", "idempotency_key"],
                                      where: "created_at < \(bind: expiredBefore)", limit: limit)
    }
}
