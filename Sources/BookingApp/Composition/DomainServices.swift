import AsyncPrimitives
import BookingDomain
import BookingPersistence
import CoreMetrics
import Fluent
import SQLKit
import Synchronization
import Tracing
import Vapor

/// The composition root: every domain service, built once by `configure(_:with:clock:)` on one storage,
/// one clock and one password hasher, and shared by requests, commands and background jobs.
public struct DomainServices: Sendable {
    public let clock: any WallClock
    public let storage: SQLStorage
    public let accounts: AccountService
    public let sessions: SessionService
    public let resources: ResourceService
    public let bookings: BookingService
    public let series: SeriesService
    public let calendarFeeds: CalendarFeedService
    public let holds: HoldService
    public let waitlist: WaitlistService
    public let housekeeping: HousekeepingService
    public let events: EventService
    public let webhooks: WebhookService
    public let relay: WebhookRelay
    public let notifications: NotificationService
    public let reminders: ReminderService
    /// Sends e-mail; nil without `SMTP_URL`.
    public let mail: MailRelay?
    let passwords: BcryptPasswords

    init(app: Application, config: AppConfig, clock: any WallClock, metrics: AppMetrics, tracer: (any Tracer)?) {
        // Captures the registry, the loops and the logger, not the application, so nothing here keeps it alive.
        let databases = app.databases, loops = app.eventLoopGroup, logger = app.logger
        let services = metrics.services
        let policy = StockPolicy(offerTTL: config.waitlistOfferTTL, holdTTL: config.holdTTL,
                                 maxHeldPerUser: config.maxHeldPerUser == 0 ? nil : config.maxHeldPerUser)
        let primary = DatabaseHandles(databases, loops: loops, logger: logger)
        let replicas = config.readDatabaseURL == nil ? nil : DatabaseHandles(databases, id: DatabaseLocation.readReplicas, loops: loops, logger: logger)
        var readPool: (@Sendable () -> (any SQLDatabase)?)?
        if let replicas { readPool = { replicas.database() } }
        let storage = SQLStorage(location: config.database, poolInUse: metrics.databasePoolInUse,
                                 guardian: metrics.databaseGuardian(statementTimeout: config.databaseStatementTimeout), policy: policy,
                                 batchLimit: config.batchMaxSize, batched: metrics.recordBatch,
                                 committed: { services.record($0) }, readPool: readPool, replicaReads: metrics.catalogueReads,
                                 tracer: tracer) { primary.database() }
        // At most one fewer hash than cores at once, so a flood of logins always leaves a core to the rest,
        // and no longer a queue than PASSWORD_QUEUE_MAX_WAIT: past it, 503 at once.
        let passwords = BcryptPasswords(
            hasher: app.password.async,
            queue: SheddingQueue(permits: max(1, System.coreCount - 1), maxWait: .milliseconds(Int64(config.passwordQueueMaxWait * 1000))),
            shed: metrics.passwordHashingShed, tracer: tracer)
        // The hash checked for unknown usernames, made once in the background so start-up does not wait for it.
        let decoy = Task { try await passwords.hash(SessionService.makeToken()) }
        self.clock = clock
        self.storage = storage
        self.passwords = passwords
        accounts = AccountService(storage: storage, passwords: passwords, clock: clock, signupsPerHour: config.signupsPerHour)
        sessions = SessionService(storage: storage, passwords: passwords, clock: clock, tokenTTL: config.tokenTTL,
                                  decoyPasswordHash: { try await decoy.value }, metrics: metrics.services)
        resources = ResourceService(storage: storage, clock: clock)
        let writes = WriteThrottle(storage: storage, limit: WriteLimit(perMinute: config.userWritesPerMinute == 0 ? nil : config.userWritesPerMinute))
        bookings = BookingService(storage: storage, clock: clock, metrics: metrics.services, writes: writes)
        series = SeriesService(storage: storage, clock: clock, metrics: metrics.services, writes: writes)
        calendarFeeds = CalendarFeedService(storage: storage, clock: clock)
        holds = HoldService(storage: storage, clock: clock, metrics: metrics.services, maximumTTL: config.holdTTL, writes: writes)
        waitlist = WaitlistService(storage: storage, clock: clock, metrics: metrics.services, writes: writes)
        housekeeping = HousekeepingService(storage: storage, clock: clock, eventRetention: config.eventRetention)
        let sender = HTTPWebhookSender(eventLoopGroup: loops, timeout: config.webhookTimeout,
                                       allowPrivateNetworks: config.webhookAllowPrivateNetworks, tracer: tracer)
        let events = EventService(storage: storage, metrics: metrics.webhooks)
        self.events = events
        webhooks = WebhookService(storage: storage, clock: clock, sender: sender, metrics: metrics.webhooks)
        relay = WebhookRelay(storage: storage, clock: clock, sender: sender, metrics: metrics.webhooks,
                             maxFailures: config.webhookMaxFailures, attemptTimeout: config.webhookTimeout)
        notifications = NotificationService(storage: storage, clock: clock)
        reminders = ReminderService(storage: storage, clock: clock, holdBefore: config.holdReminderBefore, bookingBefore: config.bookingReminderBefore)
        mail = config.smtpServer.flatMap { server in
            MailMessage.Mailbox(name: "Bookings", address: config.mailFrom).map { from in
                var client = SMTPClient(server: server, group: loops)
                if let file = config.smtpCAFile { client.trustRoots = .file(file) }
                return MailRelay(storage: storage, events: events, clock: clock,
                          sender: SMTPMailSender(client: client, from: from, publicURL: config.publicURL, clock: clock, tracer: tracer),
                          host: String(config.mailFrom.split(separator: "@").last ?? "localhost"), metrics: metrics.mail)
            }
        }
    }
}

/// Vapor's Bcrypt, run on the thread pool so hashing never blocks an event loop, through a queue that
/// bounds both how many hashes run at once and how long a caller may wait (``SheddingQueue``).
struct BcryptPasswords: PasswordHashing {
    let hasher: AsyncPasswordHasher
    let queue: SheddingQueue
    /// Counts the hashes refused because the queue was too long.
    let shed: CoreMetrics.Counter
    /// Makes the wait in the queue (`password queue`) and the hash (`password hash`, `password verify`)
    /// spans of the request's; nil: none.
    let tracer: (any Tracer)?

    func hash(_ password: String) async throws -> String {
        try await queued("password hash", first: false) { try await hasher.hash(password).get() }
    }

    func verify(_ password: String, against hash: String, first: Bool) async throws -> Bool {
        try await queued("password verify", first: first) { try await hasher.verify(password, created: hash).get() }
    }

    private func queued<T: Sendable>(_ name: String, first: Bool, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            guard let tracer, let context = ServiceContext.current, context.recordsSpans else { return try await queue.run(first: first, work) }
            let waiting = tracer.startAnySpan("password queue", context: context, ofKind: .internal)
            let started = Mutex(false)
            do {
                return try await queue.run(first: first) {
                    started.withLock { $0 = true }
                    waiting.end()
                    let hashing = tracer.startAnySpan(name, context: context, ofKind: .internal)
                    defer { hashing.end() }
                    return try await work()
                }
            } catch {
                // Refused (or cancelled) before its turn: the wait ends here.
                if !started.withLock({ $0 }) {
                    waiting.setStatus(SpanStatus(code: .error))
                    waiting.end()
                }
                throw error
            }
        } catch let overloaded as SheddingQueue.Overloaded {
            shed.increment()
            throw AppError.overloaded(retryAfter: overloaded.retryAfter)
        }
    }
}

/// What `configure(_:with:clock:)` sets up once and every request, command and job reads.
extension Application {
    private struct DomainKey: StorageKey { typealias Value = DomainServices }
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }
    private struct MetricsKey: StorageKey { typealias Value = AppMetrics }
    private struct ServerKey: StorageKey { typealias Value = ServerContext }

    /// The domain services.
    public var domain: DomainServices {
        get { configured(DomainKey.self) }
        set { storage[DomainKey.self] = newValue }
    }

    /// The configuration `configure(_:with:clock:)` was given.
    public var bookingConfig: AppConfig {
        get { configured(ConfigKey.self) }
        set { storage[ConfigKey.self] = newValue }
    }

    /// What `/metrics` exports.
    var metrics: AppMetrics {
        get { configured(MetricsKey.self) }
        set { storage[MetricsKey.self] = newValue }
    }

    /// What the routes serve with (kept here for tests and commands; routes hold their own copy).
    var serverContext: ServerContext {
        get { configured(ServerKey.self) }
        set { storage[ServerKey.self] = newValue }
    }

    /// Reading one of these before `configure(_:with:clock:)` set it, or after shutdown cleared it, is a
    /// programming error; no request reads them (``ServerContext``).
    private func configured<Key: StorageKey>(_ key: Key.Type) -> Key.Value {
        guard let value = storage[key] else {
            fatalError("\(Key.self) is read before configure(_:with:clock:) set it")
        }
        return value
    }
}
