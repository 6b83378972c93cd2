import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Configuration from the environment")
struct ConfigurationTests {
    @Test("defaults: embedded SQLite file, admin/admin, seven-day tokens, one event loop per core")
    func defaults() throws {
        let config = try AppConfig.fromEnvironment([:])
        #expect(config.database == .sqlite(path: "booking.sqlite"))
        #expect(config.adminUsername == "admin")
        #expect(config.adminPassword == "admin")
        #expect(config.tokenTTL == 7 * 86400)
        #expect(config.bcryptCost == 12)
        #expect(config.httpIdleTimeout == 30)
        #expect(config.requestBodyTimeout == 10)
        #expect(config.requestBodyMemory == 32 << 20)
        #expect(config.eventLoops == System.coreCount)
        #expect(try AppConfig.fromEnvironment(["EVENT_LOOP_THREADS": "1"]).eventLoops == 1)
    }

    @Test("connection and body limits: durations and sizes with units")
    func connectionLimits() throws {
        let config = try AppConfig.fromEnvironment(["HTTP_IDLE_TIMEOUT": "2m", "REQUEST_BODY_TIMEOUT": "5", "REQUEST_BODY_MEMORY": "512kb"])
        #expect(config.httpIdleTimeout == 120)
        #expect(config.requestBodyTimeout == 5)
        #expect(config.requestBodyMemory == 512 * 1024)
        #expect(try AppConfig.fromEnvironment(["REQUEST_BODY_MEMORY": "1GB"]).requestBodyMemory == 1 << 30)
        #expect(try AppConfig.fromEnvironment(["REQUEST_BODY_MEMORY": "131072"]).requestBodyMemory == 131_072)
    }

    @Test("HOLD_TTL: ten minutes by default, from 30 seconds to 24 hours")
    func holdTTL() throws {
        #expect(try AppConfig.fromEnvironment([:]).holdTTL == 600)
        #expect(try AppConfig.fromEnvironment(["HOLD_TTL": "30s"]).holdTTL == 30)
        #expect(try AppConfig.fromEnvironment(["HOLD_TTL": "24h"]).holdTTL == 86_400)
        #expect(try AppConfig.fromEnvironment(["HOLD_TTL": "5m"]).holdTTL == 300)
    }

    @Test("traces: off unless an OTLP/HTTP endpoint is set, off again with OTEL_TRACES_EXPORTER=none; TRACE_TRUST_INCOMING is true or false")
    func traces() throws {
        #expect(try AppConfig.fromEnvironment([:]).traceExport == false)
        #expect(try AppConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]).traceExport)
        #expect(try AppConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector/v1/traces"]).traceExport)
        #expect(try AppConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"]).traceExport == false)
        #expect(throws: ConfigurationError.self) { try AppConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"]) }
        #expect(try AppConfig.fromEnvironment(["TRACE_TRUST_INCOMING": "TRUE"]).traceTrustIncoming)
        #expect(throws: ConfigurationError.self) { try AppConfig.fromEnvironment(["TRACE_TRUST_INCOMING": "yes"]) }
    }

    @Test("database URLs choose the driver")
    func databaseURLs() throws {
        #expect(try AppConfig.fromEnvironment(["DATABASE_URL": "postgres://u:p@db:5432/booking"]).database
            == .postgres(url: "postgres://u:p@db:5432/booking"))
        #expect(try AppConfig.fromEnvironment(["DATABASE_URL": "postgresql://u@localhost/booking"]).database
            == .postgres(url: "postgresql://u@localhost/booking"))
        #expect(try AppConfig.fromEnvironment(["DATABASE_URL": "sqlite:/var/lib/booking.db"]).database
            == .sqlite(path: "/var/lib/booking.db"))
        #expect(try AppConfig.fromEnvironment(["DATABASE_URL": "sqlite://data.db"]).database == .sqlite(path: "data.db"))
    }

    @Test("an unusable value names the variable, and a URL's password is never echoed")
    func badValues() {
        let cases: [([String: String], String)] = [
            (["DATABASE_URL": "mysql://root:secret@db/booking"], "DATABASE_URL"),
            (["DATABASE_URL": "sqlite:"], "DATABASE_URL"),
            (["TOKEN_TTL": "forever"], "TOKEN_TTL"),
            (["TOKEN_TTL": "0"], "TOKEN_TTL"),
            (["PASSWORD_QUEUE_MAX_WAIT": "never"], "PASSWORD_QUEUE_MAX_WAIT"),
            (["PASSWORD_QUEUE_MAX_WAIT": "0"], "PASSWORD_QUEUE_MAX_WAIT"),
            (["HTTP_IDLE_TIMEOUT": "0"], "HTTP_IDLE_TIMEOUT"),
            (["HTTP_IDLE_TIMEOUT": "soon"], "HTTP_IDLE_TIMEOUT"),
            (["REQUEST_BODY_TIMEOUT": "-1"], "REQUEST_BODY_TIMEOUT"),
            (["REQUEST_BODY_MEMORY": "lots"], "REQUEST_BODY_MEMORY"),
            (["HOLD_TTL": "29"], "HOLD_TTL"),
            (["HOLD_TTL": "25h"], "HOLD_TTL"),
            (["HOLD_TTL": "soon"], "HOLD_TTL"),
            (["REQUEST_BODY_MEMORY": "100"], "REQUEST_BODY_MEMORY"),
            (["REQUEST_BODY_MEMORY": "127kb"], "REQUEST_BODY_MEMORY"),
            (["REQUEST_BODY_MEMORY": "17gb"], "REQUEST_BODY_MEMORY"),
            (["REQUEST_BODY_MEMORY": "0mb"], "REQUEST_BODY_MEMORY"),
            (["BCRYPT_COST": "3"], "BCRYPT_COST"),
            (["DATABASE_POOL_SIZE": "many"], "DATABASE_POOL_SIZE"),
            (["EVENT_LOOP_THREADS": "0"], "EVENT_LOOP_THREADS"),
            (["EVENT_LOOP_THREADS": "all"], "EVENT_LOOP_THREADS"),
            (["PORT": "0"], "PORT"),
            (["PORT": "http"], "PORT"),
        ]
        for (environment, variable) in cases {
            #expect(throws: ConfigurationError.self, "\(environment)") { try AppConfig.fromEnvironment(environment) }
            do {
                _ = try AppConfig.fromEnvironment(environment)
            } catch {
                #expect(error.variable == variable)
                #expect(error.description.hasPrefix("Invalid \(variable)="))
                #expect(!error.description.contains("secret"))
            }
        }
    }

    @Test("PORT sets the port serve listens on")
    func port() async throws {
        #expect(try AppConfig.fromEnvironment([:]).port == nil)
        let config = try AppConfig.fromEnvironment(["PORT": "9090"])
        #expect(config.port == 9090)
        let app = try await Application.make(.testing)
        try configure(app, with: config)
        #expect(app.http.server.configuration.port == 9090)
        try await app.asyncShutdown()
    }

    @Test("durations take a unit")
    func durations() throws {
        #expect(try AppConfig.parseDuration("90", variable: "T") == 90)
        #expect(try AppConfig.parseDuration("90m", variable: "T") == 5400)
        #expect(try AppConfig.parseDuration("12h", variable: "T") == 43200)
        #expect(try AppConfig.parseDuration("7d", variable: "T") == 604_800)
    }
}
