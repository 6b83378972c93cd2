import Foundation

/// Runs a request that creates a record (a booking or a hold) under an optional Idempotency-Key: a retry
/// of the same request returns the original record and changes nothing more. The key is completed in
/// the record's own transaction, so "created" and "key used" cannot disagree, whichever replica answers
/// the retry.
struct IdempotentRequests: Sendable {
    let storage: any Storage
    let clock: any WallClock

    /// How long an Idempotency-Key is remembered.
    static let keyLifetime: TimeInterval = 24 * 3600
    /// How long a claimed key stays locked before a retry may take it over (its holder presumably died).
    static let lease: TimeInterval = 10
    static let keyLength = 1...255

    /// A record, and whether it was created earlier under the same key.
    struct Outcome<Record: Sendable>: Sendable {
        let record: Record
        let replayed: Bool
    }

    /// `requestHash` says what makes two requests "the same" (worked out only for a request with a key);
    /// `create` makes the record and, given a claimed key, completes it atomically with it (the
    /// ``Inventory`` does, in the transaction that takes the units), throwing
    /// ``AppError/idempotencyKeyInProgress`` if the lease was lost meanwhile; `replay` reads the record
    /// back for a retry.
    func run<Record: Sendable>(
        key: String?, userID: Int, requestHash makeHash: @autoclosure () -> String,
        create: @escaping @Sendable (IdempotencyCompletion?) async throws -> Record,
        replay: @Sendable (Int) async throws -> Record
    ) async throws -> Outcome<Record> {
        guard let key else {
            return Outcome(record: try await create(nil), replayed: false)
        }
        guard key.isVisibleASCII(lengths: Self.keyLength) else {
            throw AppError.invalidField(field: "Idempotency-Key", reason: "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        let requestHash = makeHash()
        let now = clock.now()
        let claim = try await storage.idempotencyKeys.claim(
            userID: userID, key: key, requestHash: requestHash, now: now,
            staleBefore: now.addingTimeInterval(-Self.lease), expiredBefore: now.addingTimeInterval(-Self.keyLifetime)
        )
        switch claim {
        case .completed(let recordID, let storedHash):
            guard storedHash == requestHash else { throw AppError.idempotencyKeyReused }
            return Outcome(record: try await replay(recordID), replayed: true)
        case .inProgress(let storedHash):
            throw storedHash == requestHash ? AppError.idempotencyKeyInProgress : AppError.idempotencyKeyReused
        case .claimed(let token):
            do {
                let created = try await create(IdempotencyCompletion(userID: userID, key: key, token: token))
                return Outcome(record: created, replayed: false)
            } catch {
                // Free the key so that a retry runs afresh. Should the record have committed after all (a
                // failure while committing), the release matches no row: a completed key is never freed.
                try? await storage.idempotencyKeys.release(userID: userID, key: key, token: token)
                throw error
            }
        }
    }
}
