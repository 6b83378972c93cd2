import Vapor

/// The domain services, built per request on that request's database and password hasher.
struct DomainServices {
    let request: Request

    private var database: DatabaseHandle { DatabaseHandle(request.db, writeGate: request.application.writeGate) }
    private var passwords: any PasswordHashing { BcryptPasswords(hasher: request.password.async) }

    var accounts: AccountService { AccountService(database: database, passwords: passwords) }
    var resources: ResourceService { ResourceService(database: database) }
    var bookings: BookingService { BookingService(database: database) }
    var sessions: SessionService {
        let settings = request.application.sessionSettings
        return SessionService(database: database, passwords: passwords, tokenTTL: settings.tokenTTL,
                              decoyPasswordHash: settings.decoyPasswordHash)
    }
}

extension Request {
    var domain: DomainServices { DomainServices(request: self) }
}

/// Vapor's Bcrypt, run on the thread pool so hashing never blocks an event loop.
struct BcryptPasswords: PasswordHashing {
    let hasher: AsyncPasswordHasher

    func hash(_ password: String) async throws -> String {
        try await hasher.hash(password).get()
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await hasher.verify(password, created: hash).get()
    }
}

/// Settings the session service needs on every request, fixed at start-up.
struct SessionSettings: Sendable {
    var tokenTTL: TimeInterval
    var decoyPasswordHash: String
}

extension Application {
    private struct WriteGateKey: StorageKey { typealias Value = WriteGate }

    /// The queue for this process's SQLite writers; nil on PostgreSQL (see ``DatabaseHandle``).
    var writeGate: WriteGate? {
        get { storage[WriteGateKey.self] }
        set { storage[WriteGateKey.self] = newValue }
    }

    private struct SessionSettingsKey: StorageKey { typealias Value = SessionSettings }

    var sessionSettings: SessionSettings {
        get {
            guard let settings = storage[SessionSettingsKey.self] else {
                fatalError("configure(_:with:) must run before the application serves requests")
            }
            return settings
        }
        set { storage[SessionSettingsKey.self] = newValue }
    }
}
