import Foundation

/// Forgets what has expired: tokens past their lifetime, Idempotency-Keys older than a day, password
/// guesses and sign-up attempts outside their throttle windows, and usual login addresses unused for 30
/// days, per-user write counts of past minutes, and events, webhook deliveries and ended (released or
/// expired) holds older than `EVENT_RETENTION`. Each table is emptied in small batches, so a purge never
/// holds locks for long, and running it on several servers at once is harmless.
public struct HousekeepingService: Sendable {
    let storage: any Storage
    let clock: any WallClock
    /// How long events (and webhook delivery records) are kept.
    let eventRetention: TimeInterval
    public static let batchSize = 1000

    public init(storage: any Storage, clock: any WallClock, eventRetention: TimeInterval = 90 * 86400) {
        self.storage = storage
        self.clock = clock
        self.eventRetention = eventRetention
    }

    public struct Purged: Sendable, Equatable {
        public var tokens = 0
        public var idempotencyKeys = 0
        public var loginAttempts = 0
        public var signupAttempts = 0
        public var loginTrust = 0
        public var events = 0
        public var webhookDeliveries = 0
        public var holds = 0
        public var writeCounts = 0

        public init(tokens: Int = 0, idempotencyKeys: Int = 0, loginAttempts: Int = 0, signupAttempts: Int = 0, loginTrust: Int = 0,
                    events: Int = 0, webhookDeliveries: Int = 0, holds: Int = 0, writeCounts: Int = 0) {
            self.holds = holds
            self.writeCounts = writeCounts
            self.events = events
            self.webhookDeliveries = webhookDeliveries
            self.tokens = tokens
            self.idempotencyKeys = idempotencyKeys
            self.loginAttempts = loginAttempts
            self.signupAttempts = signupAttempts
            self.loginTrust = loginTrust
        }
    }

    public func purgeExpired() async throws -> Purged {
        let now = clock.now(), limit = Self.batchSize, storage = self.storage
        let keysBefore = now.addingTimeInterval(-BookingService.idempotencyKeyLifetime)
        let attemptsBefore = PasswordGuesses.window.start(at: now)
        let trustBefore = now.addingTimeInterval(-PasswordGuesses.trustLifetime)
        let signupsBefore = AccountService.signupWindow.start(at: now)
        var purged = Purged()
        purged.tokens = try await drain { try await storage.tokens.deleteExpired(at: now, limit: limit) }
        purged.idempotencyKeys = try await drain { try await storage.idempotencyKeys.deleteExpired(before: keysBefore, limit: limit) }
        purged.loginAttempts = try await drain { try await storage.loginAttempts.deleteOlder(than: attemptsBefore, limit: limit) }
        purged.signupAttempts = try await drain { try await storage.signupAttempts.deleteOlder(than: signupsBefore, limit: limit) }
        purged.loginTrust = try await drain { try await storage.loginTrust.deleteOlder(than: trustBefore, limit: limit) }
        let eventsBefore = now.addingTimeInterval(-eventRetention)
        purged.events = try await drain { try await storage.events.purge(before: eventsBefore, limit: limit) }
        purged.webhookDeliveries = try await drain { try await storage.webhooks.purgeDeliveries(before: eventsBefore, limit: limit) }
        purged.holds = try await drain { try await storage.holds.purgeEnded(before: eventsBefore, limit: limit) }
        let windowsBefore = WriteLimit.windowStart(at: now)
        purged.writeCounts = try await drain { try await storage.writeCounts.deleteOlder(than: windowsBefore, limit: limit) }
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
