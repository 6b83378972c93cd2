import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Health and readiness")
struct HealthTests {
    @Test("/health answers without a database call; /ready checks the database and the schema", arguments: TestDatabase.allCases)
    func probes(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let health = try await client.send(.GET, "/health")
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            let ready = try await client.send(.GET, "/ready")
            #expect(ready.status == .ok)
            #expect(ready.json["status"] as? String == "ready")

            // A migration recorded as not applied makes the instance not ready.
            let sql = client.app.db as! any SQLDatabase
            try await sql.raw("DELETE FROM _fluent_migrations WHERE name = \(bind: CreateLoginAttempts().name)").run()
            let behind = try await client.send(.GET, "/ready")
            #expect(behind.status == .serviceUnavailable)
            #expect(behind.code == "not_ready")
            #expect(try await client.send(.GET, "/health").status == .ok)
        }
    }

    @Test("probes, metrics and documentation answer whatever Authorization header a prober sends")
    func operationalEndpointsIgnoreUserTokens() async throws {
        try await withBookingApp(.sqlite) { client async throws in
            let stale: [(String, String)] = [("Authorization", "Token revoked-or-unknown-token-0000000000")]
            for path in ["/health", "/ready", "/metrics", "/openapi.json", "/docs"] {
                #expect(try await client.send(.GET, path, headers: stale).status == .ok, "\(path)")
            }
            // The API itself still refuses it.
            #expect(try await client.send(.GET, "/resources/", headers: stale).status == .unauthorized)
        }
    }
}

@Suite("Migrations")
struct MigrationTests {
    @Test("every migration reverts (migrate --revert) and applies again", arguments: TestDatabase.allCases)
    func revertAndReapply(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.app.autoRevert()
            #expect(try await client.send(.GET, "/ready").status == .serviceUnavailable)
            // What `serve` does on start: migrate, then create the admin again.
            try await prepare(client.app)
            #expect(try await client.send(.GET, "/ready").status == .ok)
            let token = try await client.adminToken()
            #expect(try await client.send(.POST, "/resources/", token: token, json: ["name": "After", "total_quantity": 1]).status == .created)
        }
    }
}
