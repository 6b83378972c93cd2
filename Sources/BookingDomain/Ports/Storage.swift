/// Everything the domain keeps, as the domain sees it: one store per kind of record, and the
/// ``Inventory``, the only way stock moves. `BookingPersistence` implements it in SQL.
///
/// Every method of every store is atomic on its own. Work that must be atomic across several calls runs
/// in ``transaction(_:)``, whose `Storage` argument runs each call inside that one transaction.
public protocol Storage: Sendable {
    var users: any UserStore { get }
    var tokens: any TokenStore { get }
    var loginAttempts: any LoginAttemptStore { get }
    var loginTrust: any LoginTrustStore { get }
    var signupAttempts: any SignupAttemptStore { get }
    var writeCounts: any WriteCountStore { get }
    var idempotencyKeys: any IdempotencyStore { get }
    var resources: any ResourceStore { get }
    var bookings: any BookingStore { get }
    var series: any SeriesStore { get }
    var calendarFeeds: any CalendarFeedStore { get }
    var notifications: any NotificationStore { get }
    var reminders: any ReminderStore { get }
    var holds: any HoldStore { get }
    var waitlist: any WaitlistStore { get }
    var events: any EventStore { get }
    var webhooks: any WebhookStore { get }
    var inventory: any Inventory { get }
    /// The catalogue as anyone may read it: from read replicas where there are some (a moment behind the
    /// primary), else the same as ``resources``. Never for a decision; a signed-in caller reads from the
    /// primary, so they see their own changes.
    var publicReads: any ResourceStore { get }

    /// Runs `work` in one transaction: it commits if `work` returns and rolls back if it throws. Called on
    /// the `Storage` a transaction hands out, it joins that transaction.
    func transaction<T: Sendable>(_ work: @escaping @Sendable (any Storage) async throws -> T) async throws -> T

    /// Whether the database answers and its schema is up to date (the readiness probe).
    func isReady() async throws -> Bool
}
