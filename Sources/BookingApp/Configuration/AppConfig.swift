import BookingDomain
import BookingPersistence
import Foundation
import NIOCore

/// Every setting the service reads, parsed from environment variables in one place.
///
/// A bad value stops start-up with a ``ConfigurationError`` that names the variable and what it accepts.
public struct AppConfig: Sendable {
    public var database: DatabaseLocation
    /// Connections kept per event loop (PostgreSQL only; SQLite always uses one per loop).
    public var databasePoolSize: Int
    /// Event loops (threads) serving HTTP and running the server's tasks: by default one per core this
    /// process may use. Read once, before anything starts (``Entrypoint``). Fewer suit a small host whose
    /// cores the database shares, when its requests are light (docs/deploy.md, "Event loops").
    public var eventLoops: Int
    /// The longest a request waits to connect to PostgreSQL or for a pooled connection before it is
    /// answered 503.
    public var databaseTimeout: TimeInterval
    /// The longest a statement waits for its answer before its connection is closed and the request gets
    /// 503 (`DATABASE_STATEMENT_TIMEOUT`): no request hangs on a database that stopped answering.
    public var databaseStatementTimeout: TimeInterval
    /// The longest a request takes before it is answered 503 (`REQUEST_TIMEOUT`); above
    /// `DATABASE_TIMEOUT` plus `DATABASE_STATEMENT_TIMEOUT`, so one slow step alone never reaches it.
    public var requestTimeout: TimeInterval
    /// PostgreSQL's read replicas (`READ_DATABASE_URL`, HAProxy's replica port), for the anonymous catalogue only.
    public var readDatabaseURL: String?
    /// The most bookings and holds of one resource served by one transaction (`BATCH_MAX_SIZE`); 1 turns batching off.
    public var batchMaxSize: Int
    public var adminUsername: String
    public var adminPassword: String
    public var tokenTTL: TimeInterval
    public var bcryptCost: Int
    /// Origins allowed to call the API from a browser; empty turns CORS off. `*` allows any origin.
    public var corsAllowedOrigins: [String]
    public var logFormat: LogFormat
    /// The port `serve` listens on when `--port` is not given (8080 when neither is).
    public var port: Int?
    /// When set, `/metrics` answers only requests carrying `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// Proxies (load balancers) whose `X-Forwarded-For` is believed: a request arriving from one of these
    /// is attributed to the client the header names. Empty: the header is ignored.
    public var trustedProxies: [IPAddressRange]
    /// Sign-ups allowed per client address per hour without an admin's token; 0 for no limit.
    public var signupsPerHour: Int
    /// The longest a password check may expect to wait for the hashing queue; past it, 503 at once.
    public var passwordQueueMaxWait: TimeInterval
    /// How long a connection may neither send nor receive before it is closed (a request in progress
    /// included, so it must stay above the longest a request may take).
    public var httpIdleTimeout: TimeInterval
    /// How long a stopping server waits for the requests in flight before it closes the databases under
    /// them (`SHUTDOWN_TIMEOUT`).
    public var shutdownTimeout: TimeInterval
    /// How long a request's body may take to arrive once its head has; past it, 408.
    public var requestBodyTimeout: TimeInterval
    /// The bytes of request bodies being read at once, all requests together; past it, 503 at once.
    public var requestBodyMemory: Int
    /// How long a hold lasts, and the longest a request may ask for (`ttl_seconds`): 30 s to 24 h.
    public var holdTTL: TimeInterval
    /// How long an offer to a waiting-list entry lasts before its units pass on: 30 s to 7 days.
    public var waitlistOfferTTL: TimeInterval
    /// Bookings, holds and waiting-list joins one user (not an admin) may ask for per minute; 0 for no limit.
    public var userWritesPerMinute: Int
    /// Units one user may hold at once (holds and offers) of a resource that sets no `max_per_user`; 0 for no bound.
    public var maxHeldPerUser: Int
    /// Whether the web pages' cookies are marked `Secure` (sent over HTTPS only): set it behind TLS.
    public var cookieSecure: Bool
    /// How long events are kept before housekeeping deletes them (`EVENT_RETENTION`).
    public var eventRetention: TimeInterval
    /// The time-out of one webhook attempt (`WEBHOOK_TIMEOUT`).
    public var webhookTimeout: TimeInterval
    /// Failed deliveries in a row that disable an endpoint (`WEBHOOK_MAX_FAILURES`).
    public var webhookMaxFailures: Int
    /// Whether webhooks may go to loopback, private, link-local and metadata addresses (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`).
    public var webhookAllowPrivateNetworks: Bool
    /// How long before a hold expires its holder is reminded (`HOLD_REMINDER_BEFORE`).
    var holdReminderBefore: TimeInterval = 120
    /// How long before a dated booking starts its owner is reminded (`BOOKING_REMINDER_BEFORE`).
    var bookingReminderBefore: TimeInterval = 86_400
    /// Where e-mail goes (`SMTP_URL`, with `SMTP_REQUIRE_TLS`); nil: none is sent.
    var smtpServer: SMTPServer?
    /// A PEM file of the certificates the SMTP server's must chain to (`SMTP_CA_FILE`); nil: the system's.
    var smtpCAFile: String?
    /// The sender of e-mail (`MAIL_FROM`).
    var mailFrom = "bookings@localhost"
    /// The address people reach the pages at, for the links in e-mail (`PUBLIC_URL`).
    var publicURL = "http://localhost:8080"
    /// Whether traces are exported over OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT` or
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set, `OTEL_TRACES_EXPORTER` not `none`); swift-otel reads the
    /// rest of the `OTEL_*` variables itself (`TraceExport`).
    var traceExport = false
    /// Whether a caller's `traceparent` is continued (`TRACE_TRUST_INCOMING`); else linked to.
    var traceTrustIncoming = false

    public enum LogFormat: String, Sendable {
        case text, json
    }

    public static let defaultAdminUsername = "admin"
    public static let defaultAdminPassword = "admin"

    public init(
        database: DatabaseLocation = .sqlite(path: "booking.sqlite"),
        databasePoolSize: Int = 8,
        eventLoops: Int = System.coreCount,
        databaseTimeout: TimeInterval = 3,
        databaseStatementTimeout: TimeInterval = 10,
        requestTimeout: TimeInterval = 20,
        readDatabaseURL: String? = nil,
        batchMaxSize: Int = 64,
        adminUsername: String = AppConfig.defaultAdminUsername,
        adminPassword: String = AppConfig.defaultAdminPassword,
        tokenTTL: TimeInterval = 7 * 24 * 3600,
        bcryptCost: Int = 12,
        corsAllowedOrigins: [String] = [],
        logFormat: LogFormat = .text,
        port: Int? = nil,
        metricsToken: String? = nil,
        trustedProxies: [IPAddressRange] = [],
        signupsPerHour: Int = 20,
        passwordQueueMaxWait: TimeInterval = 3,
        httpIdleTimeout: TimeInterval = 30,
        shutdownTimeout: TimeInterval = 25,
        requestBodyTimeout: TimeInterval = 10,
        requestBodyMemory: Int = 32 << 20,
        holdTTL: TimeInterval = 600,
        waitlistOfferTTL: TimeInterval = 1800,
        userWritesPerMinute: Int = 60,
        maxHeldPerUser: Int = 10,
        cookieSecure: Bool = false,
        eventRetention: TimeInterval = 90 * 86400,
        webhookTimeout: TimeInterval = 10,
        webhookMaxFailures: Int = 15,
        webhookAllowPrivateNetworks: Bool = false
    ) {
        self.database = database
        self.databasePoolSize = databasePoolSize
        self.eventLoops = eventLoops
        self.databaseTimeout = databaseTimeout
        self.databaseStatementTimeout = databaseStatementTimeout
        self.requestTimeout = requestTimeout
        self.readDatabaseURL = readDatabaseURL
        self.batchMaxSize = batchMaxSize
        self.adminUsername = adminUsername
        self.adminPassword = adminPassword
        self.tokenTTL = tokenTTL
        self.bcryptCost = bcryptCost
        self.corsAllowedOrigins = corsAllowedOrigins
        self.logFormat = logFormat
        self.port = port
        self.metricsToken = metricsToken
        self.trustedProxies = trustedProxies
        self.signupsPerHour = signupsPerHour
        self.passwordQueueMaxWait = passwordQueueMaxWait
        self.httpIdleTimeout = httpIdleTimeout
        self.shutdownTimeout = shutdownTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.requestBodyMemory = requestBodyMemory
        self.holdTTL = holdTTL
        self.waitlistOfferTTL = waitlistOfferTTL
        self.userWritesPerMinute = userWritesPerMinute
        self.maxHeldPerUser = maxHeldPerUser
        self.cookieSecure = cookieSecure
        self.eventRetention = eventRetention
        self.webhookTimeout = webhookTimeout
        self.webhookMaxFailures = webhookMaxFailures
        self.webhookAllowPrivateNetworks = webhookAllowPrivateNetworks
    }

    /// Reads the configuration from `environment` (the process environment by default).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> AppConfig {
        var config = AppConfig()
        let env = Environment(values: environment)
        if let url = env["DATABASE_URL"] {
            config.database = try Self.parseDatabaseURL(url)
        }
        config.databasePoolSize = try env.integer("DATABASE_POOL_SIZE", in: 1...256) ?? config.databasePoolSize
        config.eventLoops = try env.integer("EVENT_LOOP_THREADS", in: 1...256) ?? config.eventLoops
        config.batchMaxSize = try env.integer("BATCH_MAX_SIZE", in: 1...1000) ?? config.batchMaxSize
        if let timeout = env["DATABASE_TIMEOUT"] {
            config.databaseTimeout = try Self.parseDuration(timeout, variable: "DATABASE_TIMEOUT")
        }
        if let timeout = env["DATABASE_STATEMENT_TIMEOUT"] {
            config.databaseStatementTimeout = try Self.parseDuration(timeout, variable: "DATABASE_STATEMENT_TIMEOUT", in: 1...3600,
                                                                     accepts: "a duration from 1s to 1h, such as 10 or 30s")
        }
        if let timeout = env["REQUEST_TIMEOUT"] {
            config.requestTimeout = try Self.parseDuration(timeout, variable: "REQUEST_TIMEOUT", in: 1...3600,
                                                           accepts: "a duration from 1s to 1h, such as 20 or 1m")
        }
        if let url = env["READ_DATABASE_URL"] {
            guard case .postgres = config.database, case .postgres(let read) = try Self.parseDatabaseURL(url) else {
                throw ConfigurationError(variable: "READ_DATABASE_URL", value: "(hidden)",
                                         accepts: "a postgres:// URL of read replicas, with DATABASE_URL on PostgreSQL too")
            }
            config.readDatabaseURL = read
        }
        config.port = try env.integer("PORT", in: 1...65535)
        config.adminUsername = env["ADMIN_USERNAME"] ?? config.adminUsername
        config.adminPassword = env["ADMIN_PASSWORD"] ?? config.adminPassword
        if let ttl = env["TOKEN_TTL"] {
            config.tokenTTL = try Self.parseDuration(ttl, variable: "TOKEN_TTL")
        }
        config.bcryptCost = try env.integer("BCRYPT_COST", in: 4...31) ?? config.bcryptCost
        config.signupsPerHour = try env.integer("SIGNUPS_PER_HOUR", in: 0...1_000_000) ?? config.signupsPerHour
        if let wait = env["PASSWORD_QUEUE_MAX_WAIT"] {
            config.passwordQueueMaxWait = try Self.parseDuration(wait, variable: "PASSWORD_QUEUE_MAX_WAIT")
        }
        if let idle = env["HTTP_IDLE_TIMEOUT"] {
            config.httpIdleTimeout = try Self.parseDuration(idle, variable: "HTTP_IDLE_TIMEOUT")
        }
        if let timeout = env["SHUTDOWN_TIMEOUT"] {
            config.shutdownTimeout = try Self.parseDuration(timeout, variable: "SHUTDOWN_TIMEOUT", in: 1...3600,
                                                            accepts: "a duration from 1s to 1h, such as 25 or 2m")
        }
        if let body = env["REQUEST_BODY_TIMEOUT"] {
            config.requestBodyTimeout = try Self.parseDuration(body, variable: "REQUEST_BODY_TIMEOUT")
        }
        if let memory = env["REQUEST_BODY_MEMORY"] {
            // At least the largest body a route takes (128 KB), or that route could never be served.
            config.requestBodyMemory = try Self.parseSize(memory, variable: "REQUEST_BODY_MEMORY", atLeast: 128 << 10)
        }
        if let ttl = env["HOLD_TTL"] {
            config.holdTTL = try Self.parseDuration(ttl, variable: "HOLD_TTL", in: HoldService.ttlBounds,
                                                    accepts: "a duration from 30s to 24h, such as 600, 10m or 1h")
        }
        if let ttl = env["WAITLIST_OFFER_TTL"] {
            config.waitlistOfferTTL = try Self.parseDuration(ttl, variable: "WAITLIST_OFFER_TTL", in: WaitlistService.offerTTLBounds,
                                                             accepts: "a duration from 30s to 7 days, such as 1800, 30m or 2h")
        }
        config.userWritesPerMinute = try env.integer("USER_WRITES_PER_MINUTE", in: 0...1_000_000_000) ?? config.userWritesPerMinute
        config.maxHeldPerUser = try env.integer("MAX_HELD_PER_USER", in: 0...1_000_000_000) ?? config.maxHeldPerUser
        config.cookieSecure = try env.boolean("COOKIE_SECURE") ?? config.cookieSecure
        if let retention = env["EVENT_RETENTION"] {
            config.eventRetention = try Self.parseDuration(retention, variable: "EVENT_RETENTION", in: 3600...(3650 * 86400),
                                                           accepts: "a duration from 1h to 3650d, such as 90d")
        }
        if let timeout = env["WEBHOOK_TIMEOUT"] {
            config.webhookTimeout = try Self.parseDuration(timeout, variable: "WEBHOOK_TIMEOUT", in: 1...300,
                                                           accepts: "a duration from 1s to 5m, such as 10 or 30s")
        }
        config.webhookMaxFailures = try env.integer("WEBHOOK_MAX_FAILURES", in: 1...1000) ?? config.webhookMaxFailures
        config.webhookAllowPrivateNetworks = try env.boolean("WEBHOOK_ALLOW_PRIVATE_NETWORKS") ?? config.webhookAllowPrivateNetworks
        if let format = env["LOG_FORMAT"] {
            guard let parsed = LogFormat(rawValue: format) else {
                throw ConfigurationError(variable: "LOG_FORMAT", value: format, accepts: "text or json")
            }
            config.logFormat = parsed
        }
        if let origins = env["CORS_ALLOWED_ORIGINS"] {
            config.corsAllowedOrigins = try Self.parseOrigins(origins)
        }
        if let token = env["METRICS_TOKEN"] {
            // Long enough not to be guessed; visible ASCII so it survives an HTTP header unchanged.
            guard token.isVisibleASCII(lengths: 16...256) else {
                throw ConfigurationError(variable: "METRICS_TOKEN", value: "(hidden)",
                                         accepts: "16 to 256 visible ASCII characters, no spaces")
            }
            config.metricsToken = token
        }
        if let proxies = env["TRUSTED_PROXIES"] {
            config.trustedProxies = try Self.parseProxies(proxies)
        }
        if let before = env["HOLD_REMINDER_BEFORE"] {
            config.holdReminderBefore = try Self.parseDuration(before, variable: "HOLD_REMINDER_BEFORE", in: ReminderService.holdBounds,
                                                               accepts: "a duration from 5s to 1h, such as 2m")
        }
        if let before = env["BOOKING_REMINDER_BEFORE"] {
            config.bookingReminderBefore = try Self.parseDuration(before, variable: "BOOKING_REMINDER_BEFORE", in: ReminderService.bookingBounds,
                                                                  accepts: "a duration from 1m to 7 days, such as 24h")
        }
        let requireTLS = try env.boolean("SMTP_REQUIRE_TLS") ?? false
        if let endpoint = env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? env["OTEL_EXPORTER_OTLP_ENDPOINT"], !endpoint.isEmpty,
           env["OTEL_TRACES_EXPORTER"]?.lowercased() != "none" {
            guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
                throw ConfigurationError(variable: "OTEL_EXPORTER_OTLP_ENDPOINT", value: endpoint, accepts: "the collector's OTLP/HTTP address, such as http://localhost:4318")
            }
            config.traceExport = true
        }
        config.traceTrustIncoming = try env.boolean("TRACE_TRUST_INCOMING") ?? false
        if let url = env["SMTP_URL"] {
            guard let server = SMTPServer(url: url, requireTLS: requireTLS) else {
                throw ConfigurationError(variable: "SMTP_URL", value: "(hidden)", accepts: "smtp://user:password@host:port or smtps://…")
            }
            config.smtpServer = server
        }
        if let file = env["SMTP_CA_FILE"] {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ConfigurationError(variable: "SMTP_CA_FILE", value: file, accepts: "a readable PEM file of CA certificates")
            }
            config.smtpCAFile = file
        }
        if let from = env["MAIL_FROM"] {
            guard MailMessage.Mailbox(address: from) != nil else {
                throw ConfigurationError(variable: "MAIL_FROM", value: from, accepts: "an e-mail address such as bookings@example.com")
            }
            config.mailFrom = from
        }
        if let url = env["PUBLIC_URL"] {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), !url.hasSuffix("/"), URL(string: url)?.host?.isEmpty == false else {
                throw ConfigurationError(variable: "PUBLIC_URL", value: url, accepts: "the pages' address, such as https://bookings.example.com")
            }
            config.publicURL = url
        }
        return config
    }

    /// A comma-separated list of origins such as `https://app.example.com`, or `*`.
    static func parseOrigins(_ text: String) throws(ConfigurationError) -> [String] {
        let origins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let valid = origins.allSatisfy { origin in
            origin == "*" || ((origin.hasPrefix("http://") || origin.hasPrefix("https://"))
                && !origin.hasSuffix("/") && URL(string: origin)?.host?.isEmpty == false)
        }
        guard !origins.isEmpty, valid else {
            throw ConfigurationError(variable: "CORS_ALLOWED_ORIGINS", value: text,
                                     accepts: "* or a comma-separated list of origins like https://app.example.com")
        }
        return origins
    }

    /// A comma-separated list of addresses or CIDR blocks: `127.0.0.1,10.0.0.0/8,::1`.
    static func parseProxies(_ text: String) throws(ConfigurationError) -> [IPAddressRange] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let ranges = items.compactMap(IPAddressRange.init)
        guard !ranges.isEmpty, ranges.count == items.count else {
            throw ConfigurationError(variable: "TRUSTED_PROXIES", value: text,
                                     accepts: "a comma-separated list of IP addresses or CIDR blocks like 127.0.0.1,10.0.0.0/8")
        }
        return ranges
    }

    /// Accepts a number of bytes, or a number followed by `kb`, `mb` or `gb` (`512kb`, `32mb`), from
    /// `atLeast` bytes to 16 GB.
    static func parseSize(_ text: String, variable: String, atLeast minimum: Int) throws(ConfigurationError) -> Int {
        let units: [(String, Int)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30)]
        let lowered = text.lowercased()
        let (digits, unit) = units.first { lowered.hasSuffix($0.0) }.map { (String(lowered.dropLast(2)), $0.1) } ?? (lowered, 1)
        guard let value = Int(digits), value > 0, value <= (16 << 30) / unit, value * unit >= minimum else {
            throw ConfigurationError(variable: variable, value: text,
                                     accepts: "a size such as 524288, 512kb or 32mb (\(minimum >> 10)kb to 16gb)")
        }
        return value * unit
    }

    /// Accepts a number of seconds, or a number followed by `s`, `m`, `h` or `d` (`90m`, `7d`).
    static func parseDuration(_ text: String, variable: String) throws(ConfigurationError) -> TimeInterval {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var unit: TimeInterval = 1
        if let last = text.last, let multiplier = units[last] {
            digits = digits.dropLast()
            unit = multiplier
        }
        guard let value = Int(digits), value > 0, value <= 3650 * 86400 / Int(unit) else {
            throw ConfigurationError(
                variable: variable, value: text,
                accepts: "a positive duration such as 3600, 90m, 12h or 7d (at most 10 years)"
            )
        }
        return TimeInterval(value) * unit
    }

    /// A duration (``parseDuration(_:variable:)``) that must lie in `bounds`.
    static func parseDuration(_ text: String, variable: String, in bounds: ClosedRange<TimeInterval>,
                              accepts: String) throws(ConfigurationError) -> TimeInterval {
        let duration = try parseDuration(text, variable: variable)
        guard bounds.contains(duration) else { throw ConfigurationError(variable: variable, value: text, accepts: accepts) }
        return duration
    }
}

extension AppConfig {
    /// Parses `DATABASE_URL`: `postgres://…` / `postgresql://…`, or `sqlite:PATH` / `sqlite://PATH`.
    static func parseDatabaseURL(_ url: String) throws(ConfigurationError) -> DatabaseLocation {
        let accepts = "postgres://user:password@host:port/database, or sqlite:PATH for an SQLite file"
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard let parsed = URL(string: url), parsed.host?.isEmpty == false else {
                throw ConfigurationError(variable: "DATABASE_URL", value: "(hidden)", accepts: accepts)
            }
            return .postgres(url: url)
        }
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else {
                throw ConfigurationError(variable: "DATABASE_URL", value: url, accepts: accepts)
            }
            return .sqlite(path: path)
        }
        // The value may hold a password, so it is not echoed back.
        throw ConfigurationError(variable: "DATABASE_URL", value: "(hidden)", accepts: accepts)
    }
}

/// A setting that cannot be used; its description is the one line printed before exiting.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let value: String
    public let accepts: String

    public var description: String {
        "Invalid \(variable)=\(value): expected \(accepts)."
    }
}

private struct Environment {
    let values: [String: String]

    /// A variable's value; an empty value counts as unset.
    subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                variable: name, value: text,
                accepts: "an integer from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
    }

    func boolean(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = self[name] else { return nil }
        guard let value = Bool(text.lowercased()) else {
            throw ConfigurationError(variable: name, value: text, accepts: "true or false")
        }
        return value
    }
}
