import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Idempotency-Key on POST /bookings/")
struct IdempotencyTests {
    func book(_ client: TestClient, _ resource: Any, _ quantity: Int, token: String, key: String) async throws -> TestClient.Reply {
        try await client.send(.POST, "/bookings/", token: token, json: ["resource": resource, "purchase_quantity": quantity],
                              headers: [("Idempotency-Key", key)])
    }

    @Test("a retry with the same key and body returns the original booking and takes no more stock", arguments: TestDatabase.allCases)
    func replay(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Bus", total: 10, adminToken: try await client.adminToken())
            let token = try await client.userToken("uma")
            let first = try await book(client, id, 3, token: token, key: "order-1")
            #expect(first.status == .created)
            #expect(first.headers.first(name: "Idempotent-Replayed") == nil)
            let retry = try await book(client, id, 3, token: token, key: "order-1")
            #expect(retry.status == .created)
            #expect(retry.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(retry.json["id"] as? Int == first.json["id"] as? Int)
            #expect(try await client.available(id) == 7)

            let byName = try await book(client, "bus", 3, token: token, key: "order-2")
            #expect(byName.status == .created)
            #expect(byName.json["id"] as? Int != first.json["id"] as? Int, "a new key is a new booking")
            #expect(try await client.available(id) == 4)
        }
    }

    @Test("the same key with a different body is 422 and changes nothing", arguments: TestDatabase.allCases)
    func mismatch(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Tram", total: 10, adminToken: try await client.adminToken())
            let token = try await client.userToken("vera")
            #expect(try await book(client, id, 1, token: token, key: "k").status == .created)
            let changed = try await book(client, id, 2, token: token, key: "k")
            #expect(changed.status == .unprocessableEntity)
            #expect(changed.code == "idempotency_key_reused")
            #expect(try await client.available(id) == 9)
        }
    }

    @Test("keys belong to their user", arguments: TestDatabase.allCases)
    func perUser(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Ferry", total: 10, adminToken: try await client.adminToken())
            let wendy = try await client.userToken("wendy"), xavier = try await client.userToken("xavier")
            let a = try await book(client, id, 1, token: wendy, key: "same")
            let b = try await book(client, id, 1, token: xavier, key: "same")
            #expect(a.status == .created && b.status == .created)
            #expect(a.json["id"] as? Int != b.json["id"] as? Int)
            #expect(try await client.available(id) == 8)
        }
    }

    @Test("concurrent duplicates create one booking; the others are replays or 409", arguments: TestDatabase.allCases)
    func concurrentDuplicates(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let id = try await client.createResource("Plane", total: 100, adminToken: try await client.adminToken())
            let token = try await client.userToken("yara")
            let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await book(client, id, 2, token: token, key: "double-click") }
                }
                return try await group.reduce(into: [TestClient.Reply]()) { $0.append($1) }
            }
            let fresh = replies.filter { $0.status == .created && $0.headers.first(name: "Idempotent-Replayed") == nil }
            let replayed = replies.filter { $0.headers.first(name: "Idempotent-Replayed") == "true" }
            let inProgress = replies.filter { $0.status == .conflict && $0.code == "idempotency_key_in_progress" }
            #expect(fresh.count == 1)
            #expect(replayed.count + inProgress.count == 19)
            #expect(Set(replayed.compactMap { $0.json["id"] as? Int }).isSubset(of: Set(fresh.compactMap { $0.json["id"] as? Int })))
            #expect(try await client.available(id) == 98)
        }
    }

    @Test("a refused booking frees its key, so the same request can succeed later", arguments: TestDatabase.allCases)
    func failureReleasesKey(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Glider", total: 1, adminToken: admin)
            let token = try await client.userToken("zack")
            let refused = try await book(client, id, 2, token: token, key: "retry-me")
            #expect(refused.code == "insufficient_quantity")
            #expect(try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 2]).status == .ok)
            let later = try await book(client, id, 2, token: token, key: "retry-me")
            #expect(later.status == .created)
            #expect(later.headers.first(name: "Idempotent-Replayed") == nil)
            #expect(try await client.available(id) == 0)
        }
    }

    @Test("a key abandoned by a dead request is taken over after its lease; an expired key is forgotten", arguments: TestDatabase.allCases)
    func staleAndExpired(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let id = try await client.createResource("Yacht", total: 10, adminToken: try await client.adminToken())
            let token = try await client.userToken("abel")
            let userID = try #require(try await client.send(.GET, "/users/", token: token).jsonArray.first?["id"] as? Int)
            let keys = client.app.domain.storage.idempotencyKeys

            #expect(try await book(client, id, 1, token: token, key: "probe").status == .created)
            let hash = try #require(try await (client.app.db as! any SQLDatabase)
                .raw("SELECT request_hash FROM idempotency_keys WHERE idempotency_key = 'probe'")
                .first()?.decode(column: "request_hash", as: String.self))
            // Two requests claim their keys and never finish: their servers were killed.
            for key in ["orphan", "busy"] {
                let claim = try await keys.claim(userID: userID, key: key, requestHash: hash, now: clock.now(),
                                                 staleBefore: clock.now(), expiredBefore: clock.now().addingTimeInterval(-86400))
                guard case .claimed = claim else { Issue.record("\(key): \(claim)"); return }
            }
            #expect(try await book(client, id, 1, token: token, key: "orphan").status == .conflict, "its lease is live")
            clock.advance(by: BookingService.idempotencyLease + 1)
            #expect(try await book(client, id, 1, token: token, key: "orphan").status == .created, "its lease has lapsed")
            // A lease is taken over only by the same request: another body under the key is still a misuse.
            #expect(try await book(client, id, 2, token: token, key: "busy").status == .unprocessableEntity)

            clock.advance(by: 2 * 86400)
            let reused = try await book(client, id, 1, token: token, key: "probe")
            #expect(reused.status == .created)
            #expect(reused.headers.first(name: "Idempotent-Replayed") == nil, "after 24 hours the key is new again")
            #expect(try await client.available(id) == 7)
        }
    }

    @Test("an unusable key is a 400 naming the header", arguments: TestDatabase.allCases)
    func invalidKey(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Raft", total: 10, adminToken: try await client.adminToken())
            let token = try await client.userToken("bea")
            for key in [String(repeating: "k", count: 256), "has space", "tab\tkey", "ключ"] {
                let reply = try await book(client, id, 1, token: token, key: key)
                #expect(reply.status == .badRequest, "\(key)")
                #expect(reply.field == "Idempotency-Key")
            }
            #expect(try await client.available(id) == 10)
        }
    }
}
