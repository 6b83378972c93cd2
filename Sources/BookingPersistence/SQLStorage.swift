import AsyncPrimitives
import BookingDomain
import CoreMetrics
import Foundation
import SQLKit
import Synchronization
import Tracing

/// The domain's ``Storage`` in SQL, on SQLite or PostgreSQL.
///
/// On the pool, each store call is atomic on its own (and every write passes the SQLite write gate, see
/// ``SQLSession``); ``transaction(_:)`` hands `work` a `SQLStorage` bound to one connection inside
/// BEGIN … COMMIT.
public struct SQLStorage: Storage {
    /// The pool, resolved per use so that each request's statements run on its own event loop (and, at
    /// `debug`, log under its request's id: `DatabaseHandles`); nil once the databases have been shut down.
    private let resolvePool: @Sendable () -> (any SQLDatabase)?
    /// The read replicas' pool (`READ_DATABASE_URL`), for the public catalogue only; nil without one.
    private let resolveReadPool: (@Sendable () -> (any SQLDatabase)?)?
    private let dialect: SQLSession.Dialect
    /// Watches the connections (deadlines, read-only servers, outages).
    private let guardian: ConnectionGuardian
    private let writeGate: AsyncSemaphore?
    /// Counts the statements and transactions holding a pooled connection or queued for one.
    private let poolInUse: Meter
    /// The connection of the transaction this storage is bound to; nil on the pool.
    private let transactionConnection: (any SQLDatabase)?
    /// What the transaction this storage is bound to has done that is reported once it commits.
    private let commitReport: CommitReport?
    /// Told what the inventory did on its own account (``StockEvents``), once the transaction that did it has committed.
    private let committed: @Sendable (StockEvents) -> Void
    /// How long offers last and how much one user may hold (`WAITLIST_OFFER_TTL`, `HOLD_TTL`, `MAX_HELD_PER_USER`).
    let policy: StockPolicy
    /// Takes of one resource waiting to be served together; nil when bound to a transaction (takes run
    /// there) or with batching off.
    let takeBatches: TakeBatches?
    /// Token look-ups shared among the requests that arrive together; nil when bound to a transaction.
    let tokenLookups: TokenLookups?
    /// A user's write counts shared among their requests that arrive together; nil when bound to a transaction.
    let writeCountBatches: WriteCounts?
    /// What makes spans of statements and batches, when tracing is on; nil: none is made.
    let tracer: (any Tracer)?

    /// `pool` answers the database to run on; `location` says which kind it is. On SQLite this storage
    /// queues writers on its own gate, so a process must share one `SQLStorage` among all its writers.
    /// `committed` hears of every hold whose expiry the inventory writes down and every offer it makes or
    /// ends, after it has committed. The inventory follows `policy`. Bookings and holds of one
    /// resource that arrive while one is in flight are served together, up to `batchLimit` in one
    /// transaction, and so are token look-ups and each user's write counts, up to `batchLimit` in one
    /// statement (1: each alone);
    /// `batched` hears the size of each batch of takes.
    public init(location: DatabaseLocation, poolInUse: Meter, guardian: ConnectionGuardian, policy: StockPolicy = StockPolicy(),
                batchLimit: Int = 64, batched: @escaping @Sendable (Int) -> Void = { _ in },
                committed: @escaping @Sendable (StockEvents) -> Void = { _ in },
                readPool: (@Sendable () -> (any SQLDatabase)?)? = nil, replicaReads: ReplicaReads? = nil, tracer: (any Tracer)? = nil,
                pool: @escaping @Sendable () -> (any SQLDatabase)?) {
        self.tracer = tracer
        self.resolvePool = pool
        self.resolveReadPool = readPool
        self.replicaReads = replicaReads
        self.guardian = guardian
        self.dialect = location.dialect
        self.writeGate = location.dialect == .sqlite ? AsyncSemaphore(permits: 1) : nil
        self.poolInUse = poolInUse
        self.transactionConnection = nil
        self.commitReport = nil
        self.committed = committed
        self.policy = policy
        self.takeBatches = batchLimit > 1 ? TakeBatches(maxBatch: batchLimit, observe: batched) : nil
        self.tokenLookups = batchLimit > 1 ? TokenLookups(maxBatch: batchLimit) : nil
        self.writeCountBatches = batchLimit > 1 ? WriteCounts(maxBatch: batchLimit) : nil
    }

    private init(bindingTo connection: any SQLDatabase, report: CommitReport, of storage: SQLStorage) {
        self.tracer = storage.tracer
        self.resolvePool = storage.resolvePool
        self.resolveReadPool = storage.resolveReadPool
        self.replicaReads = storage.replicaReads
        self.guardian = storage.guardian
        self.dialect = storage.dialect
        self.writeGate = storage.writeGate
        self.poolInUse = storage.poolInUse
        self.transactionConnection = connection
        self.commitReport = report
        self.committed = storage.committed
        self.policy = storage.policy
        self.takeBatches = nil
        self.tokenLookups = nil
        self.writeCountBatches = nil
    }

    private func pool() -> any SQLDatabase {
        resolvePool() ?? ClosedDatabase(sqlDialect: dialect)
    }

    /// Where this storage's statements run (a transaction's connection is traced already).
    var session: SQLSession {
        if let transactionConnection {
            return SQLSession(sql: transactionConnection, dialect: dialect, writeGate: nil)
        }
        return SQLSession(sql: traced(PooledDatabase(base: pool(), inUse: poolInUse, guardian: guardian)), dialect: dialect, writeGate: writeGate)
    }

    /// `database`, each statement a span when tracing is on.
    private func traced(_ database: any SQLDatabase) -> any SQLDatabase {
        guard let tracer else { return database }
        return TracedDatabase(base: database, tracer: tracer, system: dialect == .postgres ? "postgresql" : "sqlite")
    }

    /// Counts the catalogue's reads by where they went (`READ_DATABASE_URL`'s share).
    let replicaReads: ReplicaReads?

    /// The catalogue as anyone may read it: from the read replicas when `READ_DATABASE_URL` is set (a
    /// moment behind the primary, and from the primary whenever they are unavailable), else the primary.
    public var publicReads: any ResourceStore {
        guard let resolveReadPool, transactionConnection == nil else { return resources }
        let replica = SQLSession(sql: traced(PooledDatabase(base: resolveReadPool() ?? ClosedDatabase(sqlDialect: dialect), inUse: poolInUse,
                                                            guardian: guardian)), dialect: dialect, writeGate: nil)
        return ReplicaResourceStore(replica: SQLResourceStore(session: replica), primary: resources, reads: replicaReads)
    }

    public var users: any UserStore { SQLUserStore(session: session) }
    public var tokens: any TokenStore { SQLTokenStore(session: session, lookups: tokenLookups) }
    public var loginAttempts: any LoginAttemptStore { SQLLoginAttemptStore(session: session) }
    public var loginTrust: any LoginTrustStore { SQLLoginTrustStore(session: session) }
    public var signupAttempts: any SignupAttemptStore { SQLSignupAttemptStore(session: session) }
    public var writeCounts: any WriteCountStore { SQLWriteCountStore(session: session, shared: writeCountBatches) }
    public var idempotencyKeys: any IdempotencyStore { SQLIdempotencyStore(session: session) }
    public var resources: any ResourceStore { SQLResourceStore(session: session) }
    public var bookings: any BookingStore { SQLBookingStore(session: session) }
    public var series: any SeriesStore { SQLSeriesStore(session: session) }
    public var calendarFeeds: any CalendarFeedStore { SQLCalendarFeedStore(session: session) }
    public var notifications: any NotificationStore { SQLNotificationStore(storage: self) }
    public var reminders: any ReminderStore { SQLReminderStore(storage: self) }
    public var holds: any HoldStore { SQLHoldStore(session: session) }
    public var waitlist: any WaitlistStore { SQLWaitlistStore(session: session) }
    public var events: any EventStore { SQLEventStore(storage: self) }
    public var webhooks: any WebhookStore { SQLWebhookStore(session: session) }
    public var inventory: any Inventory { SQLInventory(storage: self) }

    public func transaction<T: Sendable>(_ work: @escaping @Sendable (any Storage) async throws -> T) async throws -> T {
        try await withTransaction(work)
    }

    /// Runs `work` on a storage bound to one transaction (this one's, if it is bound already).
    func withTransaction<T: Sendable>(_ work: @escaping @Sendable (SQLStorage) async throws -> T) async throws -> T {
        if transactionConnection != nil { return try await work(self) }
        let gated: () async throws -> T = {
            try await traced(PooledDatabase(base: pool(), inUse: poolInUse, guardian: guardian)).withSession { connection in
                // IMMEDIATE takes SQLite's write lock up front, so a transaction never fails half-way to upgrade it.
                try await connection.raw(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
                let report = CommitReport()
                do {
                    let result = try await work(SQLStorage(bindingTo: connection, report: report, of: self))
                    try await connection.raw("COMMIT").run()
                    let events = report.events
                    if !events.isEmpty { committed(events) }
                    return result
                } catch {
                    // A lost connection has rolled back on the server already, and a statement written to a
                    // closed connection is never answered (PostgresNIO drops the write), so send none.
                    if !StorageFailure.isUnavailable(error) { try? await connection.raw("ROLLBACK").run() }
                    throw error
                }
            }
        }
        guard let writeGate else { return try await gated() }
        return try await writeGate.withPermit(gated)
    }

    /// Records what this transaction did on its own account, to be reported once it commits (at once on the pool).
    func afterCommit(_ record: (inout StockEvents) -> Void) {
        guard let commitReport else {
            var events = StockEvents()
            record(&events)
            return committed(events)
        }
        commitReport.add(record)
    }

    public func isReady() async throws -> Bool {
        try await BookingSchema.isReady(session.sql)
    }

    /// SQLite only: write-ahead logging, so readers proceed while a booking writes. Stored in the file.
    public func enableWriteAheadLog() async throws {
        guard dialect == .sqlite else { return }
        try await session.write { sql in try await sql.raw("PRAGMA journal_mode = WAL").run() }
    }
}

/// What one transaction did that is reported only if it commits.
private final class CommitReport: Sendable {
    private let recorded = Mutex(StockEvents())

    var events: StockEvents { recorded.withLock { $0 } }

    func add(_ record: (inout StockEvents) -> Void) {
        recorded.withLock { record(&$0) }
    }
}
