import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp

@Suite("Housekeeping")
struct HousekeepingTests {
    func count(_ sql: any SQLDatabase, _ table: String) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test("purge deletes expired tokens, day-old Idempotency-Keys, old failed logins and sign-up attempts, in batches, and keeps the rest",
          arguments: TestDatabase.allCases)
    func purge(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let app = client.app
            let sql = app.db as! any SQLDatabase
            let now = Date()
            let liveToken = try await client.userToken("hugo")
            let userID = try #require(try await client.send(.GET, "/users/me/", token: liveToken).json["id"] as? Int)

            let tokens = TokenStore(sql: sql)
            for index in 0..<3 {
                try await tokens.insert(tokenHash: "expired-\(index)", userID: userID,
                                        createdAt: now.addingTimeInterval(-90_000), expiresAt: now.addingTimeInterval(-60))
            }
            let room = try await client.createResource("Purge room", total: 5, adminToken: try await client.adminToken())
            let fresh = try await client.send(.POST, "/bookings/", token: liveToken, json: ["resource": room, "purchase_quantity": 1],
                                              headers: [("Idempotency-Key", "fresh-key")])
            #expect(fresh.status == .created)
            try await sql.raw("""
                INSERT INTO idempotency_keys (user_id, idempotency_key, request_hash, claim_token, locked_at, created_at)
                VALUES (\(bind: userID), 'day-old-key', 'h', 't', \(bind: now.addingTimeInterval(-90_000)), \(bind: now.addingTimeInterval(-90_000)))
                """).run()
            // One recent failure, and more old ones than one batch holds.
            _ = try await client.send(.POST, "/login/", json: ["username": "hugo", "password": "wrong-password"])
            let old = now.addingTimeInterval(-3600)
            try await sql.raw("""
                INSERT INTO login_attempts (username_key, client_address, attempted_at)
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2500)
                SELECT 'someone', '198.51.100.1', \(bind: old) FROM n
                """).run()

            try await sql.raw("""
                INSERT INTO signup_attempts (client_address, attempted_at) VALUES ('198.51.100.2', \(bind: now.addingTimeInterval(-7200)))
                """).run()

            let purged = try await OperatorContext(app).housekeeping.purgeExpired()
            #expect(purged == .init(tokens: 3, idempotencyKeys: 1, loginAttempts: 2500, signupAttempts: 1))
            #expect(try await count(sql, "signup_attempts") == 1, "hugo's own sign-up, within the hour")
            #expect(try await count(sql, "access_tokens") == 2, "hugo's live token and the admin's")
            #expect(try await client.send(.GET, "/users/me/", token: liveToken).status == .ok)
            #expect(try await count(sql, "idempotency_keys") == 1)
            let replay = try await client.send(.POST, "/bookings/", token: liveToken, json: ["resource": room, "purchase_quantity": 1],
                                               headers: [("Idempotency-Key", "fresh-key")])
            #expect(replay.headers.first(name: "Idempotent-Replayed") == "true", "a fresh key still replays")
            #expect(try await count(sql, "login_attempts") == 1)

            #expect(try await OperatorContext(app).housekeeping.purgeExpired() == .init(), "nothing left to purge")
        }
    }

    @Test("a cancelled purge (a server shutting down) stops after the batch in hand", arguments: TestDatabase.allCases)
    func cancellation(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let sql = client.app.db as! any SQLDatabase
            try await sql.raw("""
                INSERT INTO login_attempts (username_key, client_address, attempted_at)
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2500)
                SELECT 'someone', '198.51.100.1', \(bind: Date().addingTimeInterval(-3600)) FROM n
                """).run()
            let housekeeping = OperatorContext(client.app).housekeeping
            let purged = try await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await housekeeping.purgeExpired()
            }.value
            #expect(purged.loginAttempts == HousekeepingService.batchSize)
            #expect(try await count(sql, "login_attempts") == 2500 - HousekeepingService.batchSize)
        }
    }

    @Test("the purge command is registered")
    func command() async throws {
        try await withBookingApp(.sqlite) { client async throws in
            #expect(client.app.asyncCommands.commands["purge"] != nil)
        }
    }
}
