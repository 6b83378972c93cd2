import AsyncPrimitives
import BookingDomain
import BookingPersistence
import Fluent
import ServiceLifecycle
import Tracing
import Vapor

/// Wires the application: database, domain services, middleware, routes and commands. Performs no I/O;
/// `prepare(_:)` brings the database up to date, and `serve` decides to call it.
///
/// `clock` is where every rule reads the time: the system clock in production, one that tests move.
public func configure(_ app: Application, with config: AppConfig, clock: any WallClock = SystemClock(), tracer: (any Tracer)? = nil) throws {
    // Real request bodies here are well under 1 KB; routes that need more say so where they are declared.
    app.routes.defaultMaxBodySize = "16kb"
    if let port = config.port {
        app.http.server.configuration.port = port
    }
    // A connection that neither sends nor receives for this long is closed: idle keep-alives, silent
    // connections and half-sent requests do not hold a file descriptor for ever.
    app.http.server.configuration.idleTimeout = .milliseconds(Int64(config.httpIdleTimeout * 1000))
    // How long a stopping server lets the requests in flight finish (and `RequestDrain` after it).
    app.http.server.configuration.shutdownTimeout = .milliseconds(Int64(config.shutdownTimeout * 1000))
    // No client sends compressed bodies, and a small compressed body can inflate far past every limit.
    app.http.server.configuration.requestDecompression = .disabled
    // Sorted keys make every response byte-for-byte predictable for clients, caches and tests.
    ContentConfiguration.global.use(encoder: JSONEncoder.custom(format: .sortedKeys), for: .json)
    app.passwords.use(.bcrypt(cost: config.bcryptCost))

    let connectionsPerLoop: Int
    do {
        connectionsPerLoop = try config.database.register(
            on: app.databases, pool: .init(connectionsPerLoop: config.databasePoolSize, timeout: config.databaseTimeout))
    } catch is InvalidDatabaseURL {
        throw ConfigurationError(variable: "DATABASE_URL", value: "(hidden)", accepts: "postgres://user:password@host:port/database")
    }
    if let readURL = config.readDatabaseURL {
        do {
            try DatabaseLocation.registerReadReplicas(url: readURL, on: app.databases,
                                                      pool: .init(connectionsPerLoop: config.databasePoolSize, timeout: config.databaseTimeout))
        } catch is InvalidDatabaseURL {
            throw ConfigurationError(variable: "READ_DATABASE_URL", value: "(hidden)", accepts: "postgres://user:password@host:port/database")
        }
    }
    app.migrations.addBookingSchema()
    app.bookingConfig = config
    app.metrics = AppMetrics(databasePoolCapacity: connectionsPerLoop * Array(app.eventLoopGroup.makeIterator()).count)
    // Traces: the tracer given (tests), else the OTLP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none.
    var tracing: (tracer: any Tracer, service: (any Service)?)?
    if let tracer {
        tracing = (tracer, nil)
    } else if config.traceExport {
        let export = try TraceExport.make(logger: app.logger, metrics: app.metrics)
        tracing = (export.tracer, export.service)
    }
    app.domain = DomainServices(app: app, config: config, clock: clock, metrics: app.metrics, tracer: tracing?.tracer)
    let server = ServerContext(
        config: config, domain: app.domain, metrics: app.metrics,
        requestBodies: ByteBudget(capacity: config.requestBodyMemory), requestsInFlight: Drain(),
        routes: app.routes, pages: try PageRenderer(), tracer: tracing?.tracer, traceExport: tracing?.service)
    app.serverContext = server
    // Requests are counted by RequestMetrics into this app's registry, not by Vapor into the global one.
    app.http.server.configuration.reportMetrics = false

    app.asyncCommands.use(ServeCommand(), as: "serve", isDefault: true)
    app.asyncCommands.use(CreateUserCommand(), as: "create-user")
    app.asyncCommands.use(SetPasswordCommand(), as: "set-password")
    app.asyncCommands.use(SeedDemoCommand(), as: "seed-demo")
    app.asyncCommands.use(StatsCommand(), as: "stats")
    app.asyncCommands.use(PurgeCommand(), as: "purge")

    // Outermost first: the request's span (when tracing is on), then the one middleware that serves the
    // request (`RequestServingMiddleware`: its id, the count shutdown waits for, its own task within its
    // deadline, errors turned into answers, the metrics, the access log line, the answer's headers). CORS,
    // when on, answers preflights inside it, and errors are answered inside CORS so they carry its headers
    // (the serving middleware has CORS mark the answers it makes itself: past the deadline, shutting down).
    // An API route checks its token, its caller's level and its body in its own responder (`RouteGate`).
    let errors = ErrorAnswers(json: ErrorResponses(server: server), pages: PageNotFound(server: server))
    let origins = config.corsAllowedOrigins
    let cors = origins.isEmpty ? nil : CORSMiddleware(configuration: .init(
        allowedOrigin: origins == ["*"] ? .all : .any(origins),
        allowedMethods: [.GET, .POST, .PUT, .PATCH, .DELETE, .OPTIONS],
        allowedHeaders: [.accept, .authorization, .contentType, .origin, .xRequestId, "Idempotency-Key"],
        exposedHeaders: [.xRequestId, .retryAfter, .wwwAuthenticate, "Idempotent-Replayed"]
    ))
    app.middleware = Middlewares()
    if let tracer = server.tracer {
        app.middleware.use(RequestTracingMiddleware(tracer: tracer, trustIncoming: config.traceTrustIncoming))
    }
    app.middleware.use(RequestServingMiddleware(
        limit: .milliseconds(Int64(config.requestTimeout * 1000)), requests: server.requestsInFlight, errors: errors,
        metrics: RequestMetrics(metrics: app.metrics), accessLog: AccessLog(server: server),
        headers: ResponseHeaders(variesByOrigin: !origins.isEmpty && origins != ["*"]), cors: cors))
    if let cors {
        app.middleware.use(cors)
        app.middleware.use(errors)
    }

    routes(app, server: server)
    // Registered last, so it runs first at shutdown: before anything a request may still be using goes.
    app.lifecycle.use(RequestDrain(requests: server.requestsInFlight, timeout: config.shutdownTimeout))
}

/// Brings the database up to date and makes sure an admin exists. Safe to run on every start, on any
/// number of servers at once.
public func prepare(_ app: Application) async throws {
    let config = app.bookingConfig
    switch config.database {
    case .sqlite:
        try await app.domain.storage.enableWriteAheadLog()
        try await app.autoMigrate()
    case .postgres(let url):
        try await MigrationLock.withLock(postgresURL: url, logger: app.logger) {
            try await app.autoMigrate()
        }
    }
    try await app.domain.accounts.bootstrapAdmin(
        username: config.adminUsername, password: config.adminPassword,
        defaultPassword: AppConfig.defaultAdminPassword, logger: app.logger)
}
