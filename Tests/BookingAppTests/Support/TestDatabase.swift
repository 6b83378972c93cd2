import Foundation
import Fluent
import FluentPostgresDriver
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// The databases every behavioural test runs against.
///
/// PostgreSQL comes from `BOOKING_TEST_POSTGRES_URL` (set by `scripts/test`, which starts a throwaway
/// server). When it is missing, the PostgreSQL cases do not run and one test fails, once, saying so
/// (``SuiteDatabaseTests``): the PostgreSQL half is never skipped quietly.
enum TestDatabase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static let postgresURLVariable = "BOOKING_TEST_POSTGRES_URL"
    static let outageURLVariable = "BOOKING_TEST_OUTAGE_POSTGRES_URL"

    /// SQLite, and PostgreSQL when the suite was given one.
    static var allCases: [TestDatabase] { isGiven(postgresURLVariable) ? [.sqlite, .postgres] : [.sqlite] }

    static func isGiven(_ variable: String) -> Bool {
        !(ProcessInfo.processInfo.environment[variable] ?? "").isEmpty
    }

    struct PostgresUnavailable: Error, CustomStringConvertible {
        var variable = TestDatabase.postgresURLVariable
        var description: String {
            "\(variable) is not set. Run scripts/test, which starts a throwaway PostgreSQL and sets it."
        }
    }

    /// The environment variable's value, or a failure saying how to get one.
    static func required(_ variable: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw PostgresUnavailable(variable: variable)
        }
        return value
    }

    /// A fresh, empty database for one test, and a function that removes it afterwards.
    func makeLocation() async throws -> (location: DatabaseLocation, cleanUp: @Sendable () async -> Void) {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("booking-test-\(UUID().uuidString).sqlite").path
            return (.sqlite(path: path), {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            })
        case .postgres:
            return try await Self.makePostgresDatabase(on: try Self.required(Self.postgresURLVariable))
        }
    }

    /// Creates an empty database on the server at `baseURL`.
    static func makePostgresDatabase(on baseURL: String) async throws -> (location: DatabaseLocation, cleanUp: @Sendable () async -> Void) {
        let name = "booking_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try await Self.administer(baseURL) { sql in
                try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
            }
            guard var components = URLComponents(string: baseURL) else { throw PostgresUnavailable() }
            components.path = "/" + name
            return (.postgres(url: components.string!), {
                try? await Self.administer(baseURL) { sql in
                    try await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
                }
            })
    }

    /// Runs statements on the server's maintenance database, through a short-lived application.
    private static func administer(_ url: String, _ work: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws {
        let app = try await Application.make(.testing)
        do {
            app.databases.use(.postgres(configuration: try SQLPostgresConfiguration(url: url)), as: .psql)
            try await work(app.db as! any SQLDatabase)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

extension Trait where Self == ConditionTrait {
    /// A test that needs the suite's PostgreSQL: it runs when `BOOKING_TEST_POSTGRES_URL` is set; when it
    /// is not, ``SuiteDatabaseTests`` fails once, saying so, instead of every such test failing.
    static var requiresPostgres: Self {
        .enabled(if: TestDatabase.isGiven(TestDatabase.postgresURLVariable), "BOOKING_TEST_POSTGRES_URL is unset (see SuiteDatabaseTests)")
    }

    /// A test that stops and starts the outage PostgreSQL (`BOOKING_TEST_OUTAGE_POSTGRES_URL`).
    static var requiresOutagePostgres: Self {
        .enabled(if: TestDatabase.isGiven(TestDatabase.outageURLVariable), "BOOKING_TEST_OUTAGE_POSTGRES_URL is unset (see SuiteDatabaseTests)")
    }
}

/// The one place that fails when the suite was not given its PostgreSQL servers.
@Suite("The suite's databases")
struct SuiteDatabaseTests {
    @Test("PostgreSQL is given: BOOKING_TEST_POSTGRES_URL and BOOKING_TEST_OUTAGE_POSTGRES_URL (scripts/test sets both)")
    func postgresGiven() throws {
        _ = try TestDatabase.required(TestDatabase.postgresURLVariable)
        _ = try TestDatabase.required(TestDatabase.outageURLVariable)
        _ = try TestDatabase.required("BOOKING_TEST_OUTAGE_POSTGRES_CTL")
    }
}
