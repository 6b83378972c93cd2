import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Housekeeping")
struct HousekeepingTests {
    func count(_ sql: any SQLDatabase, _ table: String) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self) ?? -1
    }

    /// Records `count` password guesses at the clock's present time, through the store the service uses.
    func recordFailures(_ app: Application, count: Int) async throws {
        let attempts = app.domain.storage.loginAttempts, now = app.domain.clock.now()
        for _ in 0..<count {
            _ = try await attempts.record(usernameKey: "someone", address: "198.51.100.1", fromTrustedAddress: false,
                                          at: now, windowStart: now.addingTimeInterval(-900))
        }
    }

    @Test("purge deletes expired tokens, day-old Idempotency-Keys, old failed logins and sign-up attempts, in batches, and keeps the rest",
          arguments: TestDatabase.allCases)
    func purge(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let app = client.app
            let sql = app.db as! any SQLDatabase
            // Eight days ago: two sign-ups, three logins and the admin's, another user's keyed booking, and
            // more failed logins than one batch holds. All of it will have expired.
            try await client.signUp("hugo")
            for _ in 0..<3 { _ = try await client.login("hugo") }
            let room = try await client.createResource("Purge room", total: 5, adminToken: try await client.adminToken())
            let early = try await client.userToken("gus")
            let old = try await client.send(.POST, "/bookings/", token: early, json: ["resource": room, "purchase_quantity": 1],
                                            headers: [("Idempotency-Key", "old-key")])
            #expect(old.status == .created)
            try await recordFailures(app, count: 2500)
            clock.advance(by: 8 * 86400)

            // Now: what must survive.
            let liveToken = try await client.login("hugo")
            let fresh = try await client.send(.POST, "/bookings/", token: liveToken, json: ["resource": room, "purchase_quantity": 1],
                                              headers: [("Idempotency-Key", "fresh-key")])
            #expect(fresh.status == .created)
            #expect(try await client.send(.POST, "/login/", json: ["username": "hugo", "password": "wrong-password"]).status == .unauthorized)
            try await client.signUp("ida")

            let purged = try await app.domain.housekeeping.purgeExpired()
            // And gus's count of writes, from a minute long past.
            #expect(purged == .init(tokens: 5, idempotencyKeys: 1, loginAttempts: 2500, signupAttempts: 2, writeCounts: 1))
            #expect(try await count(sql, "signup_attempts") == 1, "ida's sign-up, within the hour")
            #expect(try await count(sql, "access_tokens") == 1, "hugo's live token")
            #expect(try await client.send(.GET, "/users/me/", token: liveToken).status == .ok)
            #expect(try await count(sql, "idempotency_keys") == 1)
            let replay = try await client.send(.POST, "/bookings/", token: liveToken, json: ["resource": room, "purchase_quantity": 1],
                                               headers: [("Idempotency-Key", "fresh-key")])
            #expect(replay.headers.first(name: "Idempotent-Replayed") == "true", "a fresh key still replays")
            #expect(try await count(sql, "login_attempts") == 1)

            #expect(try await app.domain.housekeeping.purgeExpired() == .init(), "nothing left to purge")
        }
    }

    @Test("a cancelled purge (a server shutting down) stops after the batch in hand", arguments: TestDatabase.allCases)
    func cancellation(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let sql = client.app.db as! any SQLDatabase
            try await recordFailures(client.app, count: 2500)
            clock.advance(by: 3600)
            let housekeeping = client.app.domain.housekeeping
            let purged = try await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await housekeeping.purgeExpired()
            }.value
            #expect(purged.loginAttempts == HousekeepingService.batchSize)
            #expect(try await count(sql, "login_attempts") == 2500 - HousekeepingService.batchSize)
        }
    }

    @Test("released and expired holds are forgotten after EVENT_RETENTION; held and confirmed ones stay",
          arguments: TestDatabase.allCases)
    func endedHolds(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { $0.eventRetention = 86400 }, clock: clock) { client in
            let sql = client.app.db as! any SQLDatabase
            let id = try await client.createResource("Stalls", total: 20, adminToken: try await client.adminToken())
            let token = try await client.userToken("stallholder")
            func hold() async throws -> Int { try await client.hold(id, quantity: 1, ttl: 60, token: token).hold.id }
            let released = try await hold(), confirmed = try await hold()
            _ = try await hold()  // it will lapse
            #expect(try await client.send(.DELETE, "/holds/\(released)/", token: token).status == .ok)
            #expect(try await client.send(.POST, "/holds/\(confirmed)/confirm", token: token).status == .created)
            clock.advance(by: 120)
            _ = try await client.app.domain.holds.tidy()
            clock.advance(by: 86400 + 60)
            let recent = try await hold()
            let purged = try await client.app.domain.housekeeping.purgeExpired()
            #expect(purged.holds == 2, "the released one and the lapsed one")
            let left = try await sql.raw("SELECT id FROM holds ORDER BY id").all().map { try $0.decode(column: "id", as: Int.self) }
            #expect(left == [confirmed, recent])
            #expect(try await client.send(.GET, "/bookings/", token: token).jsonArray.count == 1, "the confirmed hold's booking is whole")
        }
    }

    @Test("the purge command is registered")
    func command() async throws {
        try await withBookingApp(.sqlite) { client async throws in
            #expect(client.app.asyncCommands.commands["purge"] != nil)
        }
    }
}
