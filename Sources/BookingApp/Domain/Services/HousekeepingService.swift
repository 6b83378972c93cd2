import Foundation

/// Forgets what has expired: tokens past their lifetime, Idempotency-Keys older than a day, failed
/// logins and sign-up attempts outside their throttle windows. Each table is emptied in small batches, so a purge never holds
/// locks for long, and running it on several servers at once is harmless.
public struct HousekeepingService: Sendable {
    let database: DatabaseHandle
    static let batchSize = 1000

    public struct Purged: Sendable, Equatable {
        public var tokens = 0
        public var idempotencyKeys = 0
        public var loginAttempts = 0
        public var signupAttempts = 0
    }

    public func purgeExpired(now: Date = Date()) async throws -> Purged {
        let limit = Self.batchSize
        let keysBefore = now.addingTimeInterval(-BookingService.idempotencyKeyLifetime)
        let attemptsBefore = now.addingTimeInterval(-SessionService.throttleWindow)
        var purged = Purged()
        purged.tokens = try await drain {
            try await database.write { try await TokenStore(sql: $0).deleteExpired(at: now, limit: limit) }
        }
        purged.idempotencyKeys = try await drain {
            try await database.write { try await IdempotencyStore(sql: $0).deleteExpired(before: keysBefore, limit: limit) }
        }
        purged.loginAttempts = try await drain {
            try await database.write { try await LoginAttemptStore(sql: $0).deleteOlder(than: attemptsBefore, limit: limit) }
        }
        let signupsBefore = now.addingTimeInterval(-AccountService.signupWindow)
        purged.signupAttempts = try await drain {
            try await database.write { try await SignupAttemptStore(sql: $0).deleteOlder(than: signupsBefore, limit: limit) }
        }
        return purged
    }

    /// Runs `batch` until it deletes fewer rows than a full batch, or the task is cancelled (a server
    /// shutting down does not wait for a long backlog: the next purge goes on); returns the total.
    private func drain(_ batch: () async throws -> Int) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await batch()
            total += deleted
            if deleted < Self.batchSize || Task.isCancelled { return total }
        }
    }
}
