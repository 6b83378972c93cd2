import Fluent
import Vapor

/// The domain services, built per request on that request's database and password hasher.
struct DomainServices {
    let request: Request

    var database: DatabaseHandle { request.application.databaseHandle(request.db) }
    private var metrics: ServiceMetrics { request.application.metrics.services }
    private var passwords: any PasswordHashing {
        BcryptPasswords(hasher: request.password.async, slots: request.application.bcryptSlots)
    }

    var accounts: AccountService {
        AccountService(database: database, passwords: passwords, signupsPerHour: request.application.bookingConfig.signupsPerHour)
    }
    var resources: ResourceService { ResourceService(database: database) }
    var bookings: BookingService { BookingService(database: database, metrics: metrics) }
    var sessions: SessionService {
        let settings = request.application.sessionSettings
        return SessionService(database: database, passwords: passwords, tokenTTL: settings.tokenTTL,
                              decoyPasswordHash: settings.decoyPasswordHash, metrics: metrics)
    }
}

extension Request {
    var domain: DomainServices { DomainServices(request: self) }
}

/// Vapor's Bcrypt, run on the thread pool so hashing never blocks an event loop, and at most
/// `slots` hashes at once, so a flood of logins always leaves a core to everything else.
struct BcryptPasswords: PasswordHashing {
    let hasher: AsyncPasswordHasher
    let slots: AsyncSemaphore

    func hash(_ password: String) async throws -> String {
        try await slots.withPermit { try await hasher.hash(password).get() }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await slots.withPermit { try await hasher.verify(password, created: hash).get() }
    }
}

/// Settings the session service needs on every request, fixed at start-up.
struct SessionSettings: Sendable {
    var tokenTTL: TimeInterval
    var decoyPasswordHash: String
}

/// What `configure(_:with:)` and `prepare(_:with:)` set up once and every request or command reads.
extension Application {
    private struct WriteGateKey: StorageKey { typealias Value = AsyncSemaphore }
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }
    private struct BcryptSlotsKey: StorageKey { typealias Value = AsyncSemaphore }
    private struct SessionSettingsKey: StorageKey { typealias Value = SessionSettings }
    private struct MetricsKey: StorageKey { typealias Value = AppMetrics }
    private struct CatalogueReadsKey: StorageKey { typealias Value = FreshReadCoalescer<ByteBuffer> }

    /// The queue for this process's SQLite writers; nil on PostgreSQL (see ``DatabaseHandle``).
    var writeGate: AsyncSemaphore? {
        get { storage[WriteGateKey.self] }
        set { storage[WriteGateKey.self] = newValue }
    }

    /// The configuration `configure(_:with:)` was given, for commands that prepare the database themselves.
    var bookingConfig: AppConfig {
        get { configured(ConfigKey.self) }
        set { storage[ConfigKey.self] = newValue }
    }

    /// Bcrypt hashes allowed at once: one fewer than the cores, at least one.
    var bcryptSlots: AsyncSemaphore {
        get { configured(BcryptSlotsKey.self) }
        set { storage[BcryptSlotsKey.self] = newValue }
    }

    /// Set by `prepare(_:with:)`.
    var sessionSettings: SessionSettings {
        get { configured(SessionSettingsKey.self) }
        set { storage[SessionSettingsKey.self] = newValue }
    }

    /// What `/metrics` exports; set by `configure(_:with:)`.
    var metrics: AppMetrics {
        get { configured(MetricsKey.self) }
        set { storage[MetricsKey.self] = newValue }
    }

    /// Shares `GET /resources/` reads (and their encoding) among concurrent requests; set by `configure(_:with:)`.
    var catalogueReads: FreshReadCoalescer<ByteBuffer> {
        get { configured(CatalogueReadsKey.self) }
        set { storage[CatalogueReadsKey.self] = newValue }
    }

    /// The domain's handle on `database` (this app's, or a request's), with this process's write gate
    /// and pool metrics.
    func databaseHandle(_ database: any Database) -> DatabaseHandle {
        DatabaseHandle(database, writeGate: writeGate, poolInUse: metrics.databasePoolInUse)
    }

    /// Reading one of these before start-up set it is a programming error, not a runtime condition.
    private func configured<Key: StorageKey>(_ key: Key.Type) -> Key.Value {
        guard let value = storage[key] else {
            fatalError("\(Key.self) is read before configure(_:with:) and prepare(_:with:) set it")
        }
        return value
    }
}
