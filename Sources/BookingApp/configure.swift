import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Vapor

/// Wires the application: database, password hashing, middleware, routes. Performs no I/O; see `prepare`.
public func configure(_ app: Application, with config: AppConfig) throws {
    app.routes.defaultMaxBodySize = "1mb"
    if let port = config.port {
        app.http.server.configuration.port = port
    }
    // Sorted keys make every response byte-for-byte predictable for clients, caches and tests.
    ContentConfiguration.global.use(encoder: JSONEncoder.custom(format: .sortedKeys), for: .json)
    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    app.bcryptSlots = AsyncSemaphore(permits: max(1, System.coreCount - 1))

    let connectionsPerLoop: Int
    switch config.database {
    case .sqlite(let path):
        connectionsPerLoop = 1
        app.databases.use(.sqlite(.file(path), maxConnectionsPerEventLoop: connectionsPerLoop), as: .sqlite)
        app.writeGate = AsyncSemaphore(permits: 1)
    case .postgres(let url):
        var postgres: SQLPostgresConfiguration
        do {
            postgres = try SQLPostgresConfiguration(url: url)
        } catch {
            throw ConfigurationError(variable: "DATABASE_URL", value: "(hidden)",
                                     accepts: "postgres://user:password@host:port/database")
        }
        // While PostgreSQL is away, requests fail fast with a 503 instead of hanging; the pool
        // reconnects by itself when it is back.
        let timeout = TimeAmount.milliseconds(Int64(config.databaseTimeout * 1000))
        postgres.coreConfiguration.options.connectTimeout = timeout
        connectionsPerLoop = config.databasePoolSize
        app.databases.use(
            .postgres(configuration: postgres, maxConnectionsPerEventLoop: connectionsPerLoop,
                      connectionPoolTimeout: timeout),
            as: .psql
        )
    }
    app.migrations.addBookingSchema()
    app.bookingConfig = config
    app.metrics = AppMetrics(databasePoolCapacity: connectionsPerLoop * System.coreCount)
    app.catalogueReads = FreshReadCoalescer()
    // Requests are counted by RequestMetricsMiddleware into this app's registry, not by Vapor into the global one.
    app.http.server.configuration.reportMetrics = false
    app.asyncCommands.use(CreateUserCommand(), as: "create-user")
    app.asyncCommands.use(SetPasswordCommand(), as: "set-password")
    app.asyncCommands.use(SeedDemoCommand(), as: "seed-demo")
    app.asyncCommands.use(StatsCommand(), as: "stats")
    app.asyncCommands.use(PurgeCommand(), as: "purge")

    // Outermost first: request id and headers, CORS (answers preflights itself), the access log line and
    // request metrics, then turn any error into JSON. The API routes authenticate in `routes(_:)`.
    app.middleware = Middlewares()
    app.middleware.use(ResponseHeadersMiddleware())
    if !config.corsAllowedOrigins.isEmpty {
        let origins = config.corsAllowedOrigins
        app.middleware.use(CORSMiddleware(configuration: .init(
            allowedOrigin: origins == ["*"] ? .all : .any(origins),
            allowedMethods: [.GET, .POST, .PATCH, .DELETE, .OPTIONS],
            allowedHeaders: [.accept, .authorization, .contentType, .origin, .xRequestId, "Idempotency-Key"],
            exposedHeaders: [.xRequestId, .retryAfter, .wwwAuthenticate, "Idempotent-Replayed"]
        )))
    }
    app.middleware.use(AccessLogMiddleware())
    app.middleware.use(RequestMetricsMiddleware(metrics: app.metrics))
    app.middleware.use(ErrorResponseMiddleware())

    try routes(app)
}

/// Brings the database up to date and makes sure an admin exists. Safe to run on every start.
public func prepare(_ app: Application, with config: AppConfig) async throws {
    let database = app.databaseHandle(app.db)
    switch config.database {
    case .sqlite:
        // WAL lets readers proceed while a booking writes; the setting is stored in the file.
        try await database.sql.raw("PRAGMA journal_mode = WAL").run()
        try await app.autoMigrate()
    case .postgres(let url):
        try await MigrationLock.withLock(postgresURL: url, logger: app.logger) {
            try await app.autoMigrate()
        }
    }

    let passwords = BcryptPasswords(hasher: app.password.async, slots: app.bcryptSlots)
    app.sessionSettings = SessionSettings(
        tokenTTL: config.tokenTTL,
        decoyPasswordHash: try await passwords.hash(SessionService.makeToken())
    )
    try await AccountService(database: database, passwords: passwords, signupsPerHour: 0)
        .bootstrapAdmin(username: config.adminUsername, password: config.adminPassword, logger: app.logger)
}

/// After SIGTERM or SIGINT ended `serve`: stops accepting connections and lets requests in flight finish
/// (up to the server's shutdown timeout), so the database pools do not close under them.
public func drainServer(_ app: Application) async {
    let server: HTTPServer = app.http.server.shared
    await server.shutdown()
}
