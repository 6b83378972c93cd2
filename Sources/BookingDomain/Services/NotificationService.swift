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

    /// The key wrong unsubscribe tokens are counted under, beside password guesses.
    static let guessKey = "#unsubscribe"

    /// Turns off the kind of the message whose unsubscribe link this is, for its user (a security notice's
    /// link turns nothing off); answers the kind.
    ///
    /// - Throws: ``AppError/notificationNotFound`` for a token no message has (counted as a wrong guess
    ///   from `address`); ``AppError/tooManyLoginAttempts(retryAfter:)`` past the address's guesses.
    public func unsubscribe(token: String, from address: String) async throws -> NotificationKind {
        if SessionService.isWellFormed(token: token), let (userID, kind) = try await storage.notifications.recipient(ofUnsubscribeToken: token) {
            _ = try await MailPreferences.change(userID: userID, [kind: false], in: storage, at: clock.now(), by: .user(userID))
            return kind
        }
        throw try await PasswordGuesses.wrongSecret(key: Self.guessKey, from: address, storage: storage, at: clock.now()) ?? .notificationNotFound
    }

    /// Queues a failed (or waiting) message to be sent at once; a sent one stays sent.
    public func retry(id: Int) async throws -> QueuedMail {
        guard let mail = try await storage.notifications.retry(id: id, at: clock.now()) else { throw AppError.notificationNotFound }
        return mail
    }
}
