import Foundation

/// The e-mail outbox as admins see it: each message with its status, attempts and last error, and a
/// failed one sent again.
public struct NotificationService: Sendable {
    let storage: any Storage
    let clock: any WallClock

    public init(storage: any Storage, clock: any WallClock) {
        self.storage = storage
        self.clock = clock
    }

    /// Newest first; `status` nil: every message.
    public func list(status: QueuedMail.Status?, limit: Int, offset: Int) async throws -> [QueuedMail] {
        try Validate.page(limit: limit, offset: offset)
        return try await storage.notifications.list(status: status, limit: limit, offset: offset)
    }

    /// Queues a failed (or waiting) message to be sent at once; a sent one stays sent.
    public func retry(id: Int) async throws -> QueuedMail {
        guard let mail = try await storage.notifications.retry(id: id, at: clock.now()) else { throw AppError.notificationNotFound }
        return mail
    }
}
