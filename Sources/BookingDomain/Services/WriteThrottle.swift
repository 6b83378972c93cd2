import Foundation

/// Counts a user's bookings, holds and waiting-list joins against `USER_WRITES_PER_MINUTE` (``WriteLimit``)
/// before any of them is tried. Admins are not counted. A request refused here changed nothing.
public struct WriteThrottle: Sendable {
    let storage: any Storage
    let limit: WriteLimit

    public init(storage: any Storage, limit: WriteLimit) {
        self.storage = storage
        self.limit = limit
    }

    /// - Throws: ``AppError/tooManyWrites(retryAfter:)`` past the limit.
    func spend(for user: User, at now: Date) async throws {
        guard let perWindow = limit.perWindow, !user.isAdmin else { return }
        let count = try await storage.writeCounts.count(userID: user.id, windowStart: WriteLimit.windowStart(at: now))
        if count > perWindow { throw AppError.tooManyWrites(retryAfter: WriteLimit.retryAfter(at: now)) }
    }
}
