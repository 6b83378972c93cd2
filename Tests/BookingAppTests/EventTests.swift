import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

extension TestClient {
    /// The feed after `after`, as the admin reads it.
    func events(after: Int = 0, query: String = "", admin: String) async throws -> [[String: Any]] {
        let reply = try await send(.GET, "/events/?after=\(after)&limit=1000\(query)", token: admin)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.jsonArray
    }

    /// The newest event id now.
    func head(admin: String) async throws -> Int {
        try await events(admin: admin).last?["id"] as? Int ?? 0
    }
}

@Suite("Events")
struct EventTests {
    @Test("every change writes exactly one event of its type with its subjects and the stock after it; refusals write none",
          arguments: TestDatabase.allCases)
    func oneEventPerChange(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let admin = try await client.adminToken()
            let adminID = try #require(try await client.send(.GET, "/users/me/", token: admin).json["id"] as? Int)
            var cursor = try await client.head(admin: admin)

            /// The events since the last call: their types must be `types`, in that order.
            func expectNext(_ types: [String], _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
                let events = try await client.events(after: cursor, admin: admin)
                #expect(events.map { $0["type"] as? String ?? "?" } == types, comment, sourceLocation: sourceLocation)
                cursor = events.last?["id"] as? Int ?? cursor
                return events
            }

            let signedUp = try await client.signUp("ada")
            let adaID = signedUp.id
            let created = try await expectNext(["user.created"])
            #expect(created.first?["actor"] as? Int == adaID)
            #expect((created.first?["user"] as? [String: Any])?["username"] as? String == "ada")
            let ada = try await client.login("ada")
            _ = try await expectNext([], "logging in changes no state that the log records")

            let id = try await client.createResource("Hall", total: 5, adminToken: admin)
            let resourceEvent = try #require(try await expectNext(["resource.created"]).first)
            #expect(resourceEvent["actor"] as? Int == adminID)
            #expect(resourceEvent["resource"] as? Int == id)
            #expect(resourceEvent["stock"] as? [String: Int] == ["total": 5, "available": 5, "held": 0])

            let booking = try await client.book(id, quantity: 2, token: ada).booking.id
            let booked = try #require(try await expectNext(["booking.created"]).first)
            #expect(booked["booking"] as? Int == booking)
            #expect(booked["quantity"] as? Int == 2)
            #expect(booked["actor"] as? Int == adaID)
            #expect(booked["occurred_at"] as? String == clock.now().wireFormat)
            #expect(booked["stock"] as? [String: Int] == ["total": 5, "available": 3, "held": 0])

            // Refused: too many units, an unknown resource, a malformed body. Nothing is written.
            #expect(try await client.book(id, quantity: 9, token: ada).status == .badRequest)
            #expect(try await client.book(999_999, quantity: 1, token: ada).status == .notFound)
            #expect(try await client.send(.POST, "/bookings/", token: ada, rawBody: "{").status == .badRequest)
            _ = try await expectNext([], "refused requests write no event")

            let hold = try await client.hold(id, quantity: 1, ttl: 60, token: ada).hold.id
            let held = try #require(try await expectNext(["hold.created"]).first)
            #expect(held["hold"] as? Int == hold)
            #expect(held["stock"] as? [String: Int] == ["total": 5, "available": 2, "held": 1])
            #expect((held["details"] as? [String: Any])?["expires_at"] as? String == clock.now().addingTimeInterval(60).wireFormat)
            #expect(try await client.send(.POST, "/holds/\(hold)/confirm", token: ada).status == .created)
            let confirmed = try #require(try await expectNext(["hold.confirmed"]).first)
            #expect(confirmed["booking"] is Int)
            #expect(confirmed["stock"] as? [String: Int] == ["total": 5, "available": 2, "held": 0])

            let released = try await client.hold(id, quantity: 1, ttl: 60, token: ada).hold.id
            #expect(try await client.send(.DELETE, "/holds/\(released)/", token: ada).status == .ok)
            _ = try await expectNext(["hold.created", "hold.released"])

            // A hold that lapses with nobody touching it: the expiry job writes it, by the system, at its expiry.
            let lapsing = try await client.hold(id, quantity: 1, ttl: 30, token: ada).hold.id
            let expiresAt = clock.now().addingTimeInterval(30)
            clock.advance(by: 31)
            _ = try await expectNext(["hold.created"], "a lapsed hold is not an event until it is written down")
            #expect(try await client.app.domain.holds.tidy() == 1)
            let expired = try #require(try await expectNext(["hold.expired"]).first)
            #expect(expired["hold"] as? Int == lapsing)
            #expect(expired["actor"] as? String == "system")
            #expect(expired["occurred_at"] as? String == expiresAt.wireFormat)
            #expect(expired["stock"] as? [String: Int] == ["total": 5, "available": 2, "held": 0])

            #expect(try await client.send(.DELETE, "/bookings/\(booking)/", token: ada).status == .ok)
            let cancelled = try #require(try await expectNext(["booking.cancelled"]).first)
            #expect(cancelled["stock"] as? [String: Int] == ["total": 5, "available": 4, "held": 0])
            #expect(try await client.send(.DELETE, "/bookings/\(booking)/", token: ada).status == .conflict)
            _ = try await expectNext([], "a second cancel changes nothing")

            // The waiting list: joining, the offer a cancellation makes (by the system), declining it.
            let (queue, bookings, holder) = try await client.soldOut("Queue", total: 1, admin: admin)
            _ = try await expectNext(["resource.created", "user.created", "booking.created"])
            let entry = try #require(try await client.join(queue, quantity: 1, token: ada).json["id"] as? Int)
            _ = try await expectNext(["waitlist.joined"])
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[0])/", token: holder).status == .ok)
            let offered = try await expectNext(["booking.cancelled", "waitlist.offered"])
            #expect(offered.last?["actor"] as? String == "system")
            #expect(offered.last?["waitlist_entry"] as? Int == entry)
            #expect((offered.last?["user"] as? [String: Any])?["email"] as? String == "ada@example.com")
            #expect(offered.last?["stock"] as? [String: Int] == ["total": 1, "available": 0, "held": 1])
            #expect(try await client.send(.POST, "/waitlist/\(entry)/decline", token: ada).status == .ok)
            _ = try await expectNext(["waitlist.declined"])
            let again = try #require(try await client.join(queue, quantity: 1, token: ada).json["id"] as? Int)
            _ = try await expectNext(["waitlist.joined", "waitlist.offered"])
            #expect(try await client.send(.DELETE, "/waitlist/\(again)/", token: ada).status == .ok)
            _ = try await expectNext(["waitlist.left"])

            // Admin changes: one event per request, whatever it changes.
            #expect(try await client.send(.PATCH, "/resources/\(id)/", token: admin,
                                          json: ["name": "Great Hall", "total_quantity": 8, "max_per_user": 3]).status == .ok)
            let updated = try #require(try await expectNext(["resource.updated"]).first)
            #expect((updated["details"] as? [String: Any])?["changed"] as? [String] == ["name", "total_quantity", "max_per_user"])
            #expect(updated["stock"] as? [String: Int] == ["total": 8, "available": 7, "held": 0])
            #expect(try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 0]).status == .conflict)
            _ = try await expectNext([], "a refused update writes nothing")
            #expect(try await client.send(.PATCH, "/users/\(adaID)/", token: admin, json: ["is_admin": true]).status == .ok)
            _ = try await expectNext(["user.updated"])
            let changed = try await client.send(.POST, "/users/me/password/", token: ada,
                                                json: ["old_password": "password123", "new_password": "password456"])
            #expect(changed.status == .noContent, "\(changed.text)")
            #expect((try await expectNext(["user.updated"]).first?["details"] as? [String: Any])?["changed"] as? [String] == ["password"])
            let deleted = try await client.send(.DELETE, "/resources/\(queue)/", token: admin)
            #expect(deleted.status == .noContent, "\(deleted.text)")
            _ = try await expectNext(["resource.deleted"])

            // Nothing secret anywhere in the log.
            let all = try await client.send(.GET, "/events/?limit=1000", token: admin).text
            for secret in ["password123", "password456", ada, admin, TestAdmin.password, "$2b$"] {
                #expect(!all.contains(secret))
            }
        }
    }

    @Test("the feed follows a cursor and filters by type and resource; only admins read it, and bad parameters are 400s",
          arguments: TestDatabase.allCases)
    func feed(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let user = try await client.userToken("reader")
            let a = try await client.createResource("A", total: 5, adminToken: admin)
            let b = try await client.createResource("B", total: 5, adminToken: admin)
            for _ in 0..<3 {
                #expect(try await client.book(a, quantity: 1, token: user).status == .created)
                #expect(try await client.book(b, quantity: 1, token: user).status == .created)
            }
            let all = try await client.events(admin: admin)
            let ids = all.compactMap { $0["id"] as? Int }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            let page = try await client.send(.GET, "/events/?after=\(ids[1])&limit=2", token: admin).jsonArray
            #expect(page.compactMap { $0["id"] as? Int } == Array(ids[2...3]))
            let ofA = try await client.events(query: "&resource=\(a)&type=booking.created", admin: admin)
            #expect(ofA.count == 3 && ofA.allSatisfy { $0["resource"] as? Int == a && $0["type"] as? String == "booking.created" })
            let twoTypes = try await client.events(query: "&type=resource.created,user.created", admin: admin)
            #expect(Set(twoTypes.compactMap { $0["type"] as? String }) == ["resource.created", "user.created"])

            #expect(try await client.send(.GET, "/events/", token: user).status == .forbidden)
            #expect(try await client.send(.GET, "/events/").status == .unauthorized)
            for bad in ["type=booking.made", "after=-1", "after=x", "limit=0", "limit=1001", "resource=x"] {
                let reply = try await client.send(.GET, "/events/?\(bad)", token: admin)
                #expect(reply.status == .badRequest, "\(bad): \(reply.text)")
            }
        }
    }

    @Test("events are numbered in the order they commit: a consumer following the cursor never skips one that committed late", .requiresPostgres)
    func numberedInCommitOrder() async throws {
        try await withBookingApp(.postgres) { client in
            let storage = client.app.domain.storage
            _ = try await storage.events.sequence()
            let head = try await storage.events.head()
            let event = NewEvent(.resourceUpdated, at: Date(), by: .system, subject: EventSubject(resourceID: 1))
            // A transaction writes its event and stays open while another commits one and is numbered.
            let (written, release) = (AsyncStream<Void>.makeStream(), AsyncStream<Void>.makeStream())
            let slow = Task {
                try await storage.transaction { tx in
                    try await tx.events.append(event)
                    written.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in written.stream { break }
            try await storage.events.append(event)
            #expect(try await storage.events.sequence() == 1)
            let first = try await storage.events.list(EventFilter(after: head))
            #expect(first.map(\.id) == [head + 1])
            release.continuation.yield()
            try await slow.value
            #expect(try await storage.events.sequence() == 1)
            // The late one comes after the cursor a consumer holds, not before it.
            #expect(try await storage.events.list(EventFilter(after: head + 1)).map(\.id) == [head + 2])
        }
    }

    @Test("events older than EVENT_RETENTION are purged by housekeeping", arguments: TestDatabase.allCases)
    func retention(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { $0.eventRetention = 86400 }, clock: clock) { client in
            let admin = try await client.adminToken()
            _ = try await client.createResource("Old", total: 1, adminToken: admin)
            // The admin's creation at start-up, and the resource.
            #expect(try await client.events(admin: admin).compactMap { $0["type"] as? String } == ["user.created", "resource.created"])
            clock.advance(by: 86401)
            _ = try await client.createResource("New", total: 1, adminToken: admin)
            let purged = try await client.app.domain.housekeeping.purgeExpired()
            #expect(purged.events == 2)
            #expect(try await client.events(admin: admin).compactMap { $0["resource_name"] as? String } == ["New"])
        }
    }
}
