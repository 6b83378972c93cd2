import Foundation
import Testing
import Vapor
@testable import AsyncPrimitives
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// Bookings and holds of one resource that arrive while one is in flight are served together by the next
/// transaction, in arrival order, each with its own outcome. These tests line a batch up deterministically:
/// they pause the resource's batches, send the requests one after another (each once the one before it has
/// queued), then let the batch run.
@Suite("Batched bookings and holds")
struct BatchTests {
    /// A request of a lined-up batch: `queues` is false for one answered without the batch (bad input, a replay).
    struct Step: Sendable {
        var queues = true
        let send: @Sendable () async throws -> TestClient.Reply
    }

    static func queue(of client: TestClient) throws -> BatchQueue<Int, BatchedTake, Taken> {
        try #require(client.app.domain.storage.takeBatches).queue
    }


    /// Sends `steps` in order as one batch of resource `id` and returns their replies in the same order.
    /// The steps that do not queue are answered while the batch is still held back.
    static func batch(_ client: TestClient, resource id: Int, _ steps: [Step]) async throws -> [TestClient.Reply] {
        let queue = try queue(of: client)
        let before = queue.statistics
        #expect(queue.pause(id))
        var tasks: [Task<TestClient.Reply, any Error>] = []
        var queued = 0
        for step in steps {
            let task = Task { try await step.send() }
            tasks.append(task)
            if step.queues {
                queued += 1
                try await eventually { queue.queued(for: id) == queued }
            } else {
                _ = try await task.value
            }
        }
        queue.resume(id)
        var replies: [TestClient.Reply] = []
        for task in tasks { replies.append(try await task.value) }
        let after = queue.statistics
        #expect(after.batches == before.batches + 1, "the queued requests ran as one batch")
        #expect(after.items == before.items + queued)
        return replies
    }

    @Test("in one batch each request is decided in arrival order as it would be alone: the ones that no longer fit get the exact count, bad input fails only itself",
          arguments: TestDatabase.allCases)
    func fitAndMiss(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Stage seats", total: 6, adminToken: try await client.adminToken())
            let (ann, bob) = (try await client.userToken("ann"), try await client.userToken("bob"))
            let replies = try await Self.batch(client, resource: id, [
                Step { try await client.book(id, quantity: 3, token: ann) },
                Step { try await client.book(id, quantity: 4, token: bob) },
                Step(queues: false) { try await client.book(id, quantity: "two", token: bob) },
                Step { try await client.hold(id, quantity: 2, token: bob) },
                Step { try await client.book(id, quantity: 2, token: ann) },
                Step { try await client.book(id, quantity: 1, token: bob) },
            ])
            #expect(replies.map(\.status) == [.created, .badRequest, .badRequest, .created, .badRequest, .created])
            #expect(replies[1].code == "insufficient_quantity")
            #expect(replies[1].reason == "Cannot book 4 unit(s): only 3 left.", "\(replies[1].text)")
            #expect(replies[2].code == "invalid_field")
            #expect(replies[4].code == "insufficient_quantity")
            #expect(replies[4].reason == "Cannot book 2 unit(s): only 1 left.", "\(replies[4].text)")
            #expect(replies[3].json["status"] as? String == "held")
            #expect(try await client.stock(id) == (0, 2, 6))
            let ids = [replies[0], replies[5]].compactMap { $0.json["id"] as? Int }
            #expect(ids.count == 2 && ids[0] < ids[1], "bookings are numbered in arrival order")

            // Each taken request wrote its event, with the stock right after it, in arrival order.
            let events = try await client.send(.GET, "/events/?resource=\(id)&type=booking.created,hold.created&limit=100",
                                                token: try await client.adminToken()).jsonArray
            let stocks = events.compactMap { $0["stock"] as? [String: Any] }.map { [$0["available"] as? Int, $0["held"] as? Int] }
            #expect(stocks == [[3, 0], [1, 2], [0, 2]], "\(events)")
        }
    }

    @Test("a batch of bookings, or of holds, that all fit is taken together (in one statement on PostgreSQL): numbered, evented and counted in arrival order as the rule would; one that does not all fit is decided take by take",
          arguments: TestDatabase.allCases)
    func allFit(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Big hall", total: 20, adminToken: admin)
            let (ann, bob) = (try await client.userToken("ann"), try await client.userToken("bob"))
            let booked = try await Self.batch(client, resource: id, [
                Step { try await client.book(id, quantity: 3, token: ann) },
                Step { try await client.book(id, quantity: 1, token: bob) },
                Step { try await client.book(id, quantity: 4, token: ann) },
            ])
            #expect(booked.map(\.status) == [.created, .created, .created])
            let bookings = try booked.map { try $0.booking }
            #expect(bookings.map(\.purchaseQuantity) == [3, 1, 4], "each answer is its own take's")
            #expect(bookings.map(\.id) == bookings.map(\.id).sorted() && Set(bookings.map(\.id)).count == 3, "numbered in arrival order")
            #expect(try await client.stock(id) == (12, 0, 20))

            let held = try await Self.batch(client, resource: id, [
                Step { try await client.hold(id, quantity: 2, token: bob) },
                Step { try await client.hold(id, quantity: 5, token: ann) },
            ])
            #expect(held.map(\.status) == [.created, .created])
            #expect(try await client.stock(id) == (5, 7, 20))

            // 4 + 2 do not both fit in 5: the first is taken, the second refused with what is left.
            let last = try await Self.batch(client, resource: id, [
                Step { try await client.book(id, quantity: 4, token: bob) },
                Step { try await client.book(id, quantity: 2, token: ann) },
            ])
            #expect(last.map(\.status) == [.created, .badRequest])
            #expect(last[1].reason == "Cannot book 2 unit(s): only 1 left.", "\(last[1].text)")
            #expect(try await client.stock(id) == (1, 7, 20))

            // Each wrote its event, in arrival order, with the stock right after it.
            let events = try await client.send(.GET, "/events/?resource=\(id)&type=booking.created,hold.created&limit=100", token: admin).events
            #expect(events.map(\.type) == ["booking.created", "booking.created", "booking.created", "hold.created", "hold.created", "booking.created"])
            #expect(events.map(\.quantity) == [3, 1, 4, 2, 5, 4])
            #expect(events.map(\.stock) == [.init(total: 20, available: 17, held: 0), .init(total: 20, available: 16, held: 0),
                                             .init(total: 20, available: 12, held: 0), .init(total: 20, available: 10, held: 2),
                                             .init(total: 20, available: 5, held: 7), .init(total: 20, available: 1, held: 7)])
            #expect(events.compactMap(\.booking) == [bookings[0].id, bookings[1].id, bookings[2].id, try last[0].booking.id])
            let holds = try held.map { try $0.hold }
            #expect(events.compactMap(\.hold) == holds.map(\.id) && holds[0].id < holds[1].id)
            #expect(events[3].details["expires_at"] != nil && events[0].details.isEmpty)
        }
    }

    @Test("what this server last saw of a resource picks a take's path, never its outcome: units given back and limits lifted since are taken at once, alone and in a batch",
          arguments: TestDatabase.allCases)
    func staleSight(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let paths = try #require(client.app.domain.storage.takeBatches).paths
            let (ann, bob) = (try await client.userToken("ann"), try await client.userToken("bob"))

            // Sold out as last seen; a cancellation gives a unit back: the next take gets it, alone and batched.
            let id = try await client.createResource("Last seats", total: 3, adminToken: admin)
            let first = try await client.book(id, quantity: 3, token: ann)
            #expect(first.status == .created)
            #expect(try await client.book(id, quantity: 1, token: bob).code == "insufficient_quantity")
            if db == .postgres { #expect(!paths.oneStatementMayTake(1, of: id), "seen sold out") }
            #expect(try await client.send(.DELETE, "/bookings/\(try first.booking.id)/", token: ann).status == .ok)
            #expect(try await client.book(id, quantity: 1, token: bob).status == .created)
            let batched = try await Self.batch(client, resource: id, [
                Step { try await client.book(id, quantity: 1, token: bob) },
                Step { try await client.book(id, quantity: 1, token: bob) },
                Step { try await client.book(id, quantity: 1, token: ann) },
            ])
            #expect(batched.map(\.status) == [.created, .created, .badRequest])
            #expect(try await client.stock(id) == (0, 0, 3))

            // Seen with a limit; the limit is lifted: a take above it is granted at once, alone and batched.
            let limited = try await client.send(.POST, "/resources/", token: admin, json: ["name": "Desks", "total_quantity": 20, "max_per_user": 1])
            let desks = try limited.resource.id
            #expect(try await client.book(desks, quantity: 2, token: ann).code == "per_user_limit")
            if db == .postgres { #expect(!paths.oneStatementMayTake(1, of: desks), "seen governed") }
            #expect(try await client.send(.PATCH, "/resources/\(desks)/", token: admin, json: ["max_per_user": NSNull()]).status == .ok)
            #expect(try await client.book(desks, quantity: 2, token: ann).status == .created)
            let lifted = try await Self.batch(client, resource: desks, [
                Step { try await client.book(desks, quantity: 3, token: ann) },
                Step { try await client.book(desks, quantity: 4, token: ann) },
            ])
            #expect(lifted.map(\.status) == [.created, .created])
            #expect(try await client.stock(desks) == (11, 0, 20))
            if db == .postgres { #expect(paths.oneStatementMayTake(11, of: desks) && !paths.oneStatementMayTake(12, of: desks), "seen plain again") }
        }
    }

    @Test("one batch mixes a resource named by id and by name; a request whose name was taken away meanwhile is looked up again",
          arguments: TestDatabase.allCases)
    func byIDAndByName(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Jazz Night", total: 10, adminToken: admin)
            let other = try await client.createResource("Folk Night", total: 10, adminToken: admin)
            let fan = try await client.userToken("fan")
            let replies = try await Self.batch(client, resource: id, [
                Step { try await client.book(id, quantity: 1, token: fan) },
                Step { try await client.book("jazz night", quantity: 2, token: fan) },
                Step { try await client.hold("Jazz Night", quantity: 3, token: fan) },
                Step(queues: false) { try await client.book("No Such Night", quantity: 1, token: fan) },
            ])
            #expect(replies.map(\.status) == [.created, .created, .created, .notFound])
            #expect(replies[1].json["resource"] as? Int == id)
            #expect(replies[2].json["resource"] as? Int == id)
            #expect(try await client.stock(id) == (4, 3, 10))

            // Queued by name, then the name moves to another resource before the batch runs: it books there.
            let queue = try Self.queue(of: client)
            #expect(queue.pause(id))
            let moved = Task { try await client.book("Jazz Night", quantity: 2, token: fan) }
            try await eventually { queue.queued(for: id) == 1 }
            let movedToo = Task { try await client.book("Jazz Night", quantity: 1, token: fan) }
            try await eventually { queue.queued(for: id) == 2 }
            #expect(try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["name": "Blues Night"]).status == .ok)
            #expect(try await client.send(.PATCH, "/resources/\(other)/", token: admin, json: ["name": "Jazz Night"]).status == .ok)
            queue.resume(id)
            let reply = try await moved.value
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply.json["resource"] as? Int == other)
            let replyToo = try await movedToo.value
            #expect(replyToo.status == .created, "\(replyToo.text)")
            #expect(replyToo.json["resource"] as? Int == other)
            #expect(try await client.stock(id) == (4, 3, 10))
            #expect(try await client.stock(other) == (7, 0, 10))
        }
    }

    @Test("an Idempotency-Key replay is answered without waiting for the batch; new keys in the batch are completed in its transaction",
          arguments: TestDatabase.allCases)
    func idempotencyInABatch(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Workshop", total: 5, adminToken: try await client.adminToken())
            let fan = try await client.userToken("fan")
            @Sendable func book(_ quantity: Int, key: String) async throws -> TestClient.Reply {
                try await client.send(.POST, "/bookings/", token: fan, json: ["resource": id, "purchase_quantity": quantity],
                                       headers: [("Idempotency-Key", key)])
            }
            let original = try await book(1, key: "first")
            #expect(original.status == .created)
            let replies = try await Self.batch(client, resource: id, [
                Step { try await book(2, key: "second") },
                Step(queues: false) { try await book(1, key: "first") },
                Step { try await client.book(id, quantity: 1, token: fan) },
                Step { try await book(5, key: "too-many") },
            ])
            #expect(replies.map(\.status) == [.created, .created, .created, .badRequest])
            #expect(replies[1].json["id"] as? Int == original.json["id"] as? Int, "the replay is the original booking")
            #expect(replies[1].headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try await client.stock(id) == (1, 0, 5))

            // The batch completed "second": a retry replays it. The refused "too-many" was released: a retry runs afresh.
            let retry = try await book(2, key: "second")
            #expect(retry.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(retry.json["id"] as? Int == replies[0].json["id"] as? Int)
            #expect(try await book(5, key: "too-many").code == "insufficient_quantity")
        }
    }

    @Test("one user's requests in one batch are held to max_per_user together, each refusal saying what is left",
          arguments: TestDatabase.allCases)
    func perUserLimitInABatch(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let created = try await client.send(.POST, "/resources/", token: admin,
                                                json: ["name": "Limited drop", "total_quantity": 20, "max_per_user": 4, "max_per_booking": 3])
            let id = try #require(created.json["id"] as? Int)
            let (fan, other) = (try await client.userToken("fan"), try await client.userToken("other"))
            #expect(try await client.book(id, quantity: 1, token: fan).status == .created)
            let replies = try await Self.batch(client, resource: id, [
                Step { try await client.book(id, quantity: 2, token: fan) },
                Step { try await client.book(id, quantity: 2, token: fan) },
                Step { try await client.hold(id, quantity: 1, token: fan) },
                Step { try await client.book(id, quantity: 1, token: fan) },
                Step { try await client.book(id, quantity: 3, token: other) },
                Step { try await client.book(id, quantity: 4, token: other) },
            ])
            #expect(replies.map(\.status) == [.created, .conflict, .created, .conflict, .created, .badRequest])
            #expect(replies[1].code == "per_user_limit")
            #expect(replies[1].text.contains("you may take 1 more"), "\(replies[1].text)")
            #expect(replies[3].text.contains("you may take 0 more"), "\(replies[3].text)")
            #expect(replies[5].code == "per_booking_limit")
            #expect(try await client.stock(id) == (13, 1, 20))
        }
    }

    @Test("in a batch every take counts against the waiting list's overtaking bound, so the list cannot be jumped",
          arguments: TestDatabase.allCases)
    func waitingListInABatch(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Tiny venue", total: 6, adminToken: try await client.adminToken())
            let (owner, waiter, public1) = (try await client.userToken("owner"), try await client.userToken("waiter"),
                                            try await client.userToken("public"))
            let small = try await client.book(id, quantity: 1, token: owner), other = try await client.book(id, quantity: 1, token: owner)
            #expect(try await client.book(id, quantity: 2, token: owner).status == .created)
            // 2 free; the waiter wants 3: it waits, and may be overtaken by 3 units at most.
            let entry = try await client.send(.POST, "/resources/\(id)/waitlist/", token: waiter, json: ["quantity": 3])
            #expect(entry.json["status"] as? String == "waiting")
            let replies = try await Self.batch(client, resource: id, [
                Step { try await client.book(id, quantity: 1, token: public1) },
                Step { try await client.hold(id, quantity: 1, token: public1) },
                Step { try await client.book(id, quantity: 1, token: public1) },
            ])
            #expect(replies.map(\.status) == [.created, .created, .badRequest])
            #expect(try await client.stock(id) == (0, 1, 6))
            // The batch overtook the waiter by 2 units. One unit back (it does not fit the waiter's 3): a third may still pass it.
            let oneID = try #require(small.json["id"] as? Int)
            #expect(try await client.send(.DELETE, "/bookings/\(oneID)/", token: owner).status == .ok)
            #expect(try await client.book(id, quantity: 1, token: public1).status == .created)
            // Overtaken by 3 units still taken now: a unit that comes back gathers for the waiter, nobody else gets it.
            let otherID = try #require(other.json["id"] as? Int)
            #expect(try await client.send(.DELETE, "/bookings/\(otherID)/", token: owner).status == .ok)
            let refused = try await client.book(id, quantity: 1, token: public1)
            #expect(refused.code == "reserved_for_waitlist", "\(refused.text)")
            #expect(try await client.stock(id) == (1, 1, 6))
            // A pass lasts while its units stay taken: the batch's hold, released, passed nobody after all, and the
            // waiter (overtaken by 2 now, 2 free, wanting 3) no longer holds the public up.
            let holdID = try #require(replies[1].json["id"] as? Int)
            #expect(try await client.send(.DELETE, "/holds/\(holdID)/", token: public1).status == .ok)
            #expect(try await client.book(id, quantity: 1, token: public1).status == .created)
        }
    }

    @Test("token look-ups shared by requests that arrive together answer each for its own token: valid, logged out, expired, deactivated, unknown",
          arguments: TestDatabase.allCases)
    func sharedTokenLookups(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { $0.tokenTTL = 3600 }, clock: clock) { client in
            let expiring = try await client.userToken("expiring")
            clock.advance(by: 1800)
            let admin = try await client.adminToken()
            let valid = try await client.userToken("valid"), out = try await client.userToken("out")
            let gone = try await client.userToken("gone")
            #expect(try await client.send(.POST, "/logout/", token: out).status.code < 300)
            let goneID = try #require(try await client.send(.GET, "/users/me/", token: gone).json["id"] as? Int)
            #expect(try await client.send(.PATCH, "/users/\(goneID)/", token: admin, json: ["is_active": false]).status == .ok)
            clock.advance(by: 1800)
            let tokens = [valid, out, expiring, gone, "not-a-token-anybody-was-given", admin]
            let expected: [HTTPStatus] = [.ok, .unauthorized, .unauthorized, .unauthorized, .unauthorized, .ok]

            let lookups = try #require(client.app.domain.storage.tokenLookups).queue
            let before = lookups.statistics
            for lane in 0..<4 { #expect(lookups.pause(lane)) }
            var tasks: [(Int, Task<TestClient.Reply, any Error>)] = []
            for _ in 0..<4 {
                for (index, token) in tokens.enumerated() {
                    tasks.append((index, Task { try await client.send(.GET, "/users/me/", token: token) }))
                }
            }
            try await eventually { (0..<4).map { lookups.queued(for: $0) }.reduce(0, +) == tasks.count }
            for lane in 0..<4 { lookups.resume(lane) }
            for (index, task) in tasks {
                let reply = try await task.value
                #expect(reply.status == expected[index], "token \(index): \(reply.text)")
                if expected[index] == .ok { #expect(reply.json["username"] as? String == (index == 0 ? "valid" : TestAdmin.username)) }
            }
            let after = lookups.statistics
            #expect(after.items - before.items == tasks.count)
            #expect(after.batches - before.batches <= 4, "the \(tasks.count) look-ups shared at most one query per lane")
        }
    }

    @Test("a user's writes that arrive together share one count: one statement adds them all, each gets its own place, and USER_WRITES_PER_MINUTE lets exactly its number through",
          arguments: TestDatabase.allCases)
    func sharedWriteCounts(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { patientPool(&$0); $0.userWritesPerMinute = 7 }, clock: clock) { client in
            let id = try await client.createResource("Counted", total: 100, adminToken: try await client.adminToken())
            let token = try await client.userToken("counted")
            let userID = try await client.send(.GET, "/users/me/", token: token).decode(UserResponse.self).id
            #expect(try await client.book(id, quantity: 1, token: token).status == .created, "the first write of the minute")
            let counts = try #require(client.app.domain.storage.writeCountBatches).queue
            let before = counts.statistics
            #expect(counts.pause(userID))
            let tasks = (0..<12).map { _ in Task { try await client.book(id, quantity: 1, token: token) } }
            try await eventually { counts.queued(for: userID) == tasks.count }
            counts.resume(userID)
            var codes: [String] = []
            for task in tasks { codes.append(try await task.value.code ?? "created") }
            #expect(codes.filter { $0 == "created" }.count == 6, "\(codes)")
            #expect(codes.filter { $0 == "too_many_writes" }.count == 6, "\(codes)")
            let after = counts.statistics
            #expect(after.items - before.items == 12 && after.batches - before.batches == 1, "one statement for the twelve")
            #expect(try await client.stock(id).available == 93)

            // Counted in a batch that spans the turn of a minute: each window counts its own, in order.
            let session = client.app.domain.storage.session
            let minute = WriteLimit.windowStart(at: clock.now().addingTimeInterval(3600)), next = minute.addingTimeInterval(60)
            #expect(try await SQLWriteCountStore(session: session).count(userID: userID, windowStart: minute) == 1)
            let windows = [minute, minute, next, minute, next]
            let places = try await SQLWriteCountStore.count(userID: userID, windows.map { WriteCounts.Write(windowStart: $0, session: session) })
                .map { try $0.get() }
            #expect(places == [2, 3, 1, 4, 2])
            #expect(try await SQLWriteCountStore(session: session).count(userID: userID, windowStart: minute) == 5, "and on from there")
        }
    }
}
