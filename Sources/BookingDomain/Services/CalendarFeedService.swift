import Foundation

/// Calendar feeds: a secret URL per user that calendar apps poll without signing in, listing the user's
/// bookings of dated resources (an admin's token also reads any resource's feed). A token is shown once
/// and kept as its SHA-256; a new one replaces the old, which stops working at once. A token that opens
/// no feed counts against the client address's password guesses (``PasswordGuesses/perAddress``), so
/// guessing feeds costs what guessing passwords does.
public struct CalendarFeedService: Sendable {
    let storage: any Storage
    let clock: any WallClock

    public init(storage: any Storage, clock: any WallClock) {
        self.storage = storage
        self.clock = clock
    }

    /// How far back a feed lists bookings (every future one is listed).
    public static let pastDays = 90
    /// The most bookings one feed lists (the newest).
    public static let maxEvents = 5_000
    /// The key wrong feed tokens are counted under, beside the usernames of password guesses (no
    /// username may contain `#`).
    static let guessKey = "#calendar-feed"

    /// A feed's bookings, read for its owner.
    public struct Feed: Sendable {
        /// Whose feed it is: the user's own, or with `resourceID`, that resource's (admins only).
        public let owner: User
        public let resourceID: Int?
        public let entries: [FeedEntry]
    }

    /// Gives `user` a new feed token, replacing any they had; answers the token (shown only now).
    public func replaceToken(for user: User) async throws -> String {
        let token = SessionService.makeToken()
        try await storage.calendarFeeds.replace(userID: user.id, tokenHash: SessionService.hash(token: token), at: clock.now())
        return token
    }

    /// The feed `token` opens, from `address`: the user's own bookings, or with `resourceID` (an admin's
    /// token only) every booking of that resource.
    ///
    /// - Throws: ``AppError/calendarFeedNotFound`` for a token that opens no feed (or a resource feed for a
    ///   token that is not an admin's, or a resource that does not exist); ``AppError/tooManyLoginAttempts(retryAfter:)``
    ///   once the address has guessed too often.
    public func feed(token: String, resourceID: Int? = nil, from address: String) async throws -> Feed {
        let now = clock.now()
        let user = SessionService.isWellFormed(token: token) ? try await storage.calendarFeeds.user(tokenHash: SessionService.hash(token: token)) : nil
        guard let user, resourceID == nil || user.isAdmin else {
            throw try await PasswordGuesses.wrongSecret(key: Self.guessKey, from: address, storage: storage, at: now) ?? .calendarFeedNotFound
        }
        if let resourceID, try await storage.resources.find(.id(resourceID), at: now) == nil { throw AppError.calendarFeedNotFound }
        let entries = try await storage.calendarFeeds.entries(
            userID: resourceID == nil ? user.id : nil, resourceID: resourceID,
            since: now.addingTimeInterval(-Double(Self.pastDays) * 86_400), limit: Self.maxEvents)
        return Feed(owner: user, resourceID: resourceID, entries: entries)
    }
}
