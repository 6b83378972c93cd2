import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

extension TestClient {
    func join(_ resource: Int, quantity: Any, token: String) async throws -> Reply {
        try await send(.POST, "/resources/\(resource)/waitlist/", token: token, json: ["quantity": quantity])
    }

    /// The caller's entry on the list, as listed now.
    func entry(_ id: Int, token: String) async throws -> WaitlistEntryResponse {
        let reply = try await send(.GET, "/waitlist/\(id)/", token: token)
        #expect(reply.status == .ok, "\(reply.text)")
        return try reply.entry
    }

    /// A resource that is sold out: `total` units, all booked by one user.
    func soldOut(_ name: String, total: Int, admin: String) async throws -> (resource: Int, bookings: [Int], holder: String) {
        let id = try await createResource(name, total: total, adminToken: admin)
        let holder = try await userToken("\(name.lowercased().filter(\.isLetter))-holder")
        var bookings: [Int] = []
        for _ in 0..<total {
            bookings.append(try await book(id, quantity: 1, token: holder).booking.id)
        }
        return (id, bookings, holder)
    }
}

@Suite("Waiting lists")
struct WaitlistTests {
    @Test("joining a sold-out resource waits in line; a second entry, too many units and the limits are refused and change nothing",
          arguments: TestDatabase.allCases)
    func joining(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let admin = try await client.adminToken()
            let (id, _, _) = try await client.soldOut("Concert", total: 2, admin: admin)
            let first = try await client.userToken("first"), second = try await client.userToken("second")

            let joined = try await client.join(id, quantity: 1, token: first)
            #expect(joined.status == .created, "\(joined.text)")
            #expect(try joined.entry.status == "waiting")
            #expect(try joined.entry.position == 1)
            #expect(try joined.entry.quantity == 1)
            #expect(try joined.entry.resourceName == "Concert")
            #expect(try joined.entry.createdAt == clock.now().wireFormat)
            #expect(try joined.entry.hold == nil)
            let behind = try await client.join(id, quantity: 2, token: second)
            #expect(try behind.entry.position == 2)
            #expect(try await client.resource(id).waitingCount == 2)

            let again = try await client.join(id, quantity: 1, token: first)
            #expect(again.status == .conflict)
            #expect(again.code == "already_waiting")
            let tooMany = try await client.join(id, quantity: 3, token: try await client.userToken("greedy"))
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.code == "invalid_field")
            for bad in [0, -1, "1", 1.5] as [Any] {
                let reply = try await client.join(id, quantity: bad, token: first)
                #expect(reply.status == .badRequest, "\(bad): \(reply.text)")
            }
            #expect(try await client.join(999_999, quantity: 1, token: first).status == .notFound)

            let limited = try await client.send(.POST, "/resources/", token: admin,
                                                json: ["name": "Limited", "total_quantity": 5, "max_per_user": 2, "max_per_booking": 2])
            let limitedID = try limited.resource.id
            #expect(try await client.join(limitedID, quantity: 3, token: first).code == "per_booking_limit")
            #expect(try await client.book(limitedID, quantity: 2, token: second).status == .created)
            #expect(try await client.join(limitedID, quantity: 1, token: second).code == "per_user_limit")

            let mine = try await client.send(.GET, "/waitlist/", token: first).entries
            #expect(mine.map(\.resource) == [id])
            #expect(try await client.resource(id).waitingCount == 2)
            #expect(try await client.stock(id) == (0, 0, 2))
        }
    }

    @Test("joining while units are free for the entry answers with an offer at once: an ordinary hold, lasting HOLD_TTL (not the longer WAITLIST_OFFER_TTL)",
          arguments: TestDatabase.allCases)
    func immediateOffer(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { $0.waitlistOfferTTL = 1800; $0.holdTTL = 900 }, clock: clock) { client in
            let id = try await client.createResource("Bike", total: 3, adminToken: try await client.adminToken())
            let token = try await client.userToken("rider")
            let joined = try await client.join(id, quantity: 2, token: token)
            #expect(joined.status == .created)
            #expect(try joined.entry.status == "offered")
            #expect(try joined.entry.position == nil)
            #expect(try joined.entry.offerExpiresAt == clock.now().addingTimeInterval(900).wireFormat)
            let holdID = try #require(try joined.entry.hold)
            let hold = try await client.send(.GET, "/holds/\(holdID)/", token: token).hold
            #expect(try hold.waitlistEntry == joined.entry.id)
            #expect(hold.status == "held")
            #expect(try await client.stock(id) == (1, 2, 3))
            #expect(try await client.resource(id).waitingCount == 0)
        }
    }

    @Test("a cancellation racing public bookings: the unit goes to the waiting user, every public request is refused",
          arguments: TestDatabase.allCases)
    func cancellationRacingBooking(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let admin = try await client.adminToken()
            let (id, bookings, holder) = try await client.soldOut("Last seat", total: 1, admin: admin)
            let waiting = try await client.userToken("patient")
            let entryID = try await client.join(id, quantity: 1, token: waiting).entry.id
            let racers = [try await client.userToken("racer-a"), try await client.userToken("racer-b")]
            let replies = try await withThrowingTaskGroup(of: (Bool, TestClient.Reply).self) { group in
                group.addTask { (true, try await client.send(.DELETE, "/bookings/\(bookings[0])/", token: holder)) }
                for attempt in 0..<20 {
                    let token = racers[attempt % 2]
                    group.addTask {
                        // Half book, half hold: neither may take the unit from the list.
                        (false, attempt < 10 ? try await client.book(id, quantity: 1, token: token)
                                             : try await client.hold(id, quantity: 1, token: token))
                    }
                }
                return try await group.reduce(into: [(Bool, TestClient.Reply)]()) { $0.append($1) }
            }
            let cancel = try #require(replies.first { $0.0 }?.1)
            #expect(cancel.status == .ok)
            let public_ = replies.filter { !$0.0 }.map(\.1)
            let refused = public_.filter { $0.code == "reserved_for_waitlist" || $0.code == "insufficient_quantity" }.count
            #expect(public_.filter { $0.status == .created }.isEmpty, "\(public_.map(\.text))")
            #expect(refused == 20)
            let entry = try await client.entry(entryID, token: waiting)
            #expect(entry.status == "offered")
            #expect(try await client.stock(id) == (0, 1, 1))
            let holdID = try #require(entry.hold)
            let confirmed = try await client.send(.POST, "/holds/\(holdID)/confirm", token: waiting)
            #expect(confirmed.status == .created)
            #expect(try await client.entry(entryID, token: waiting).status == "accepted")
            let again = try await client.send(.POST, "/holds/\(holdID)/confirm", token: waiting)
            #expect(again.status == .ok)
            #expect(try again.booking.id == confirmed.booking.id)
            #expect(try await client.send(.GET, "/bookings/", token: waiting).bookings.count == 1)
            #expect(try await client.stock(id) == (0, 0, 1))
        }
    }

    @Test("an offer blocks until its expires_at; from that instant the entry is expired and the next entry holds the units",
          arguments: TestDatabase.allCases)
    func offerLapsesToNext(db: TestDatabase) async throws {
        let clock = ManualClock()
        let start = clock.now()
        try await withBookingApp(db, configure: { $0.waitlistOfferTTL = 600 }, clock: clock) { client in
            let admin = try await client.adminToken()
            let (id, bookings, holder) = try await client.soldOut("Table", total: 1, admin: admin)
            let first = try await client.userToken("first"), second = try await client.userToken("second")
            let firstEntry = try await client.join(id, quantity: 1, token: first).entry.id
            let secondEntry = try await client.join(id, quantity: 1, token: second).entry.id
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[0])/", token: holder).status == .ok)
            let offered = try await client.entry(firstEntry, token: first)
            #expect(offered.status == "offered")
            #expect(try await client.entry(secondEntry, token: second).position == 1)
            let firstHold = try #require(offered.hold)

            clock.set(start.addingTimeInterval(599.999))
            #expect(try await client.entry(firstEntry, token: first).status == "offered")
            #expect(try await client.entry(secondEntry, token: second).status == "waiting")

            clock.set(start.addingTimeInterval(600))
            // Nothing ran in between: the read itself sees the units passed on.
            #expect(try await client.entry(firstEntry, token: first).status == "expired")
            let next = try await client.entry(secondEntry, token: second)
            #expect(next.status == "offered")
            #expect(next.offerExpiresAt == start.addingTimeInterval(1200).wireFormat)
            let lapsed = try await client.send(.POST, "/holds/\(firstHold)/confirm", token: first)
            #expect(lapsed.status == .conflict)
            #expect(lapsed.code == "hold_expired")
            #expect(try await client.stock(id) == (0, 1, 1))
            let offers = try await client.send(.GET, "/holds/?status=held", token: second).holds
            #expect(offers.map(\.waitlistEntry) == [secondEntry])
        }
    }

    @Test("declining and leaving pass the units on; an offer cannot be confirmed after its entry left", arguments: TestDatabase.allCases)
    func declineAndLeave(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let (id, bookings, holder) = try await client.soldOut("Boat", total: 1, admin: admin)
            var tokens: [String] = [], entries: [Int] = []
            for name in ["ann", "ben", "cat"] {
                let token = try await client.userToken(name)
                tokens.append(token)
                entries.append(try await client.join(id, quantity: 1, token: token).entry.id)
            }
            // Declining while still waiting is refused.
            #expect(try await client.send(.POST, "/waitlist/\(entries[0])/decline", token: tokens[0]).code == "no_pending_offer")
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[0])/", token: holder).status == .ok)
            let annHold = try #require(try await client.entry(entries[0], token: tokens[0]).hold)
            // Someone else's entry is not found, even to decline.
            #expect(try await client.send(.POST, "/waitlist/\(entries[0])/decline", token: tokens[1]).status == .notFound)

            let declined = try await client.send(.POST, "/waitlist/\(entries[0])/decline", token: tokens[0])
            #expect(declined.status == .ok, "\(declined.text)")
            #expect(try declined.entry.status == "declined")
            #expect(try await client.send(.GET, "/holds/\(annHold)/", token: tokens[0]).hold.status == "released")
            #expect(try await client.send(.POST, "/holds/\(annHold)/confirm", token: tokens[0]).code == "hold_not_active")
            #expect(try await client.send(.POST, "/waitlist/\(entries[0])/decline", token: tokens[0]).code == "no_pending_offer")
            let benHold = try #require(try await client.entry(entries[1], token: tokens[1]).hold)

            let left = try await client.send(.DELETE, "/waitlist/\(entries[1])/", token: tokens[1])
            #expect(left.status == .ok)
            #expect(try left.entry.status == "left")
            #expect(try await client.send(.POST, "/holds/\(benHold)/confirm", token: tokens[1]).code == "hold_not_active")
            #expect(try await client.send(.DELETE, "/waitlist/\(entries[1])/", token: tokens[1]).code == "waitlist_entry_ended")
            let cat = try await client.entry(entries[2], token: tokens[2])
            #expect(cat.status == "offered")
            // Releasing an offer's hold declines it; nobody is left to pass to, so the unit is free.
            let catHold = try #require(cat.hold)
            #expect(try await client.send(.DELETE, "/holds/\(catHold)/", token: tokens[2]).status == .ok)
            #expect(try await client.entry(entries[2], token: tokens[2]).status == "declined")
            #expect(try await client.stock(id) == (1, 0, 1))
            #expect(try await client.resource(id).waitingCount == 0)
            #expect(try await client.book(id, quantity: 1, token: holder).status == .created)

            let samples = try await MetricsTests().scrape(client)
            #expect(samples[#"booking_waitlist_offers_total{outcome="made"}"#] == 3)
            #expect(samples[#"booking_waitlist_offers_total{outcome="declined"}"#] == 3)
            #expect(samples[#"booking_waitlist_offers_total{outcome="accepted"}"#] == 0)
            #expect(samples[#"booking_waitlist_entries_total{change="joined"}"#] == 3)
            #expect(samples[#"booking_waitlist_entries_total{change="left"}"#] == 1)
        }
    }

    @Test("raising total_quantity serves the list; an entry that does not fit is overtaken by at most its own quantity",
          arguments: TestDatabase.allCases)
    func resizeAndBarrier(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let (id, _, _) = try await client.soldOut("Van", total: 2, admin: admin)
            var tokens: [String: String] = [:], entries: [String: Int] = [:]
            for (name, quantity) in [("big", 2), ("small1", 1), ("small2", 1), ("small3", 1)] {
                tokens[name] = try await client.userToken(name + "-waiter")
                entries[name] = try await client.join(id, quantity: quantity, token: tokens[name]!).entry.id
            }
            func status(_ name: String) async throws -> String? {
                try await client.entry(entries[name]!, token: tokens[name]!).status
            }
            func resize(_ total: Int) async throws {
                let reply = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": total])
                #expect(reply.status == .ok, "\(reply.text)")
            }
            try await resize(3)  // 1 free: "big" does not fit and is skipped once
            #expect(try await status("big") == "waiting")
            #expect(try await status("small1") == "offered")
            try await resize(4)  // 1 free: "big" is overtaken by its second unit
            #expect(try await status("small2") == "offered")
            try await resize(5)  // 1 free: "big" has been overtaken by 2 = its quantity: nobody passes it now
            #expect(try await status("small3") == "waiting")
            #expect(try await client.entry(entries["small3"]!, token: tokens["small3"]!).position == 2)
            #expect(try await client.stock(id) == (1, 2, 5))
            // The free unit is kept for the line: the public cannot take it.
            let outsider = try await client.userToken("outsider")
            let refused = try await client.book(id, quantity: 1, token: outsider)
            #expect(refused.status == .conflict)
            #expect(refused.code == "reserved_for_waitlist")
            #expect(try await client.hold(id, quantity: 1, token: outsider).code == "reserved_for_waitlist")
            try await resize(6)  // 2 free: "big" gets them
            #expect(try await status("big") == "offered")
            #expect(try await status("small3") == "waiting")
            try await resize(7)
            #expect(try await status("small3") == "offered")
            #expect(try await client.stock(id) == (0, 5, 7))
        }
    }

    @Test("units nobody waiting can use may be booked, until they have overtaken an entry by its quantity; then they gather for it",
          arguments: TestDatabase.allCases)
    func publicOvertakesBoundedly(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let (id, bookings, holder) = try await client.soldOut("Pair", total: 3, admin: admin)
            let big = try await client.userToken("wants-two")
            let entry = try await client.join(id, quantity: 2, token: big).entry.id
            let outsider = try await client.userToken("outsider")
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[0])/", token: holder).status == .ok)
            // One unit free, the entry wants two: the unit may go to someone else (overtaken by 1).
            #expect(try await client.book(id, quantity: 1, token: outsider).status == .created)
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[1])/", token: holder).status == .ok)
            #expect(try await client.hold(id, quantity: 1, token: outsider).status == .created)  // overtaken by 2
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[2])/", token: holder).status == .ok)
            // Overtaken by its quantity: the free unit now waits for it.
            let refused = try await client.book(id, quantity: 1, token: outsider)
            #expect(refused.status == .conflict)
            #expect(refused.code == "reserved_for_waitlist")
            #expect(try await client.hold(id, quantity: 1, token: try await client.userToken("another")).code == "reserved_for_waitlist")
            #expect(try await client.stock(id) == (1, 1, 3))
            let outsiderHold = try #require(try await client.send(.GET, "/holds/", token: outsider).holds.first?.id)
            #expect(try await client.send(.DELETE, "/holds/\(outsiderHold)/", token: outsider).status == .ok)
            let served = try await client.entry(entry, token: big)
            #expect(served.status == "offered")
            #expect(try await client.stock(id) == (0, 2, 3))
        }
    }

    @Test("a deactivated user's entry keeps its place but is passed over, and is served again once reactivated",
          arguments: TestDatabase.allCases)
    func deactivatedUser(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let (id, bookings, holder) = try await client.soldOut("Desk", total: 2, admin: admin)
            let gone = try await client.userToken("gone-away"), next = try await client.userToken("next-one")
            let goneID = try await client.send(.GET, "/users/me/", token: gone).user.id
            let goneEntry = try await client.join(id, quantity: 1, token: gone).entry.id
            let nextEntry = try await client.join(id, quantity: 1, token: next).entry.id
            #expect(try await client.send(.PATCH, "/users/\(goneID)/", token: admin, json: ["is_active": false]).status == .ok)
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[0])/", token: holder).status == .ok)
            #expect(try await client.entry(nextEntry, token: next).status == "offered")
            let line = try await client.send(.GET, "/resources/\(id)/waitlist/", token: admin).entries
            #expect(line.first?.id == goneEntry)
            #expect(line.first?.status == "waiting")
            #expect(try await client.send(.PATCH, "/users/\(goneID)/", token: admin, json: ["is_active": true]).status == .ok)
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[1])/", token: holder).status == .ok)
            let back = try await client.login("gone-away")
            #expect(try await client.entry(goneEntry, token: back).status == "offered")
        }
    }

    @Test("admins see a resource's list in order and remove an entry with a reason; others may not", arguments: TestDatabase.allCases)
    func adminLine(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let (id, _, _) = try await client.soldOut("Studio", total: 1, admin: admin)
            var tokens: [String] = [], entries: [Int] = []
            for name in ["user1", "user2", "user3"] {
                let token = try await client.userToken(name)
                tokens.append(token)
                entries.append(try await client.join(id, quantity: 1, token: token).entry.id)
            }
            let line = try await client.send(.GET, "/resources/\(id)/waitlist/", token: admin).entries
            #expect(line.map(\.id) == entries)
            #expect(line.map(\.position) == [1, 2, 3])
            #expect(try await client.send(.GET, "/resources/\(id)/waitlist/", token: tokens[0]).status == .forbidden)
            #expect(try await client.send(.GET, "/resources/999999/waitlist/", token: admin).status == .notFound)
            #expect(try await client.send(.GET, "/waitlist/", token: admin).entries.count == 3)

            #expect(try await client.send(.DELETE, "/waitlist/\(entries[1])/", token: admin).code == "invalid_field")
            #expect(try await client.send(.DELETE, "/waitlist/\(entries[1])/", token: tokens[0]).status == .notFound)
            let removed = try await client.send(.DELETE, "/waitlist/\(entries[1])/?reason=duplicate%20account", token: admin)
            #expect(removed.status == .ok, "\(removed.text)")
            #expect(try removed.entry.status == "removed")
            #expect(try removed.entry.removedReason == "duplicate account")
            #expect(try await client.entry(entries[2], token: tokens[2]).position == 2)
            let open = try await client.send(.GET, "/resources/\(id)/waitlist/", token: admin).entries
            #expect(open.map(\.id) == [entries[0], entries[2]])
            let all = try await client.send(.GET, "/resources/\(id)/waitlist/?status=all", token: admin).entries
            #expect(all.count == 3)
            #expect(try await client.send(.GET, "/waitlist/?status=nope", token: admin).status == .badRequest)

            let deleted = try await client.send(.DELETE, "/resources/\(id)/", token: admin)
            #expect(deleted.status == .conflict)
            #expect(deleted.code == "resource_has_active_bookings" || deleted.code == "resource_has_waiting_list")
        }
    }

    @Test("a resource with entries waiting cannot be deleted; once they are gone it can", arguments: TestDatabase.allCases)
    func deleteWithWaitingList(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let (id, bookings, holder) = try await client.soldOut("Loft", total: 1, admin: admin)
            let waiter = try await client.userToken("waiter")
            let entry = try await client.join(id, quantity: 1, token: waiter).entry.id
            // Cancelling passes the unit to the waiter as an offer; a second waiter stays waiting.
            let second = try await client.userToken("second")
            let secondEntry = try await client.join(id, quantity: 1, token: second).entry.id
            #expect(try await client.send(.DELETE, "/bookings/\(bookings[0])/", token: holder).status == .ok)
            #expect(try await client.send(.DELETE, "/waitlist/\(entry)/", token: waiter).status == .ok)
            // The offer passed on to the second waiter; its hold keeps the resource.
            #expect(try await client.send(.DELETE, "/resources/\(id)/", token: admin).code == "resource_has_active_holds")
            #expect(try await client.send(.POST, "/waitlist/\(secondEntry)/decline", token: second).status == .ok)
            let third = try await client.userToken("third")
            #expect(try await client.book(id, quantity: 1, token: third).status == .created)
            #expect(try await client.join(id, quantity: 1, token: waiter).status == .created)
            let refused = try await client.send(.DELETE, "/resources/\(id)/", token: admin)
            #expect(refused.code == "resource_has_active_bookings")
            let bookingID = try #require(try await client.send(.GET, "/bookings/", token: third).bookings.first?.id)
            #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: third).status == .ok)
            let rejoin = try #require(try await client.send(.GET, "/waitlist/?status=open", token: waiter).entries.first)
            #expect(rejoin.status == "offered")
            #expect(try await client.send(.DELETE, "/waitlist/\(rejoin.id)/", token: waiter).status == .ok)
            #expect(try await client.send(.DELETE, "/resources/\(id)/", token: admin).status == .noContent)
        }
    }

    @Test("cancellations on three replicas at once offer each freed unit once, to the head of the line, in order", .requiresPostgres)
    func replicas() async throws {
        try await withPostgresReplicas(3, configure: patientPool) { replicas in
            let admin = try await replicas[0].adminToken()
            let (id, bookings, holder) = try await replicas[0].soldOut("Arena", total: 6, admin: admin)
            var tokens: [String] = []
            for index in 0..<10 { tokens.append(try await replicas[index % 3].userToken("fan\(index)")) }
            var entries: [Int] = []
            for (index, token) in tokens.enumerated() {
                entries.append(try await replicas[index % 3].join(id, quantity: 1, token: token).entry.id)
            }
            // The same user joining ten times at once through three replicas gets one entry.
            let extra = try await replicas[0].userToken("eager")
            let joins = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
                for index in 0..<10 { group.addTask { try await replicas[index % 3].join(id, quantity: 1, token: extra) } }
                return try await group.reduce(into: [TestClient.Reply]()) { $0.append($1) }
            }
            #expect(joins.filter { $0.status == .created }.count == 1)
            #expect(joins.filter { $0.code == "already_waiting" }.count == 9)

            let cancels = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for (index, booking) in bookings.prefix(4).enumerated() {
                    group.addTask { try await replicas[index % 3].send(.DELETE, "/bookings/\(booking)/", token: holder).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(cancels == [.ok, .ok, .ok, .ok])
            let line = try await replicas[1].send(.GET, "/resources/\(id)/waitlist/?status=all&limit=100", token: admin).entries
            let offered = line.filter { $0.status == "offered" }.map(\.id)
            #expect(offered == Array(entries.prefix(4)), "\(line.map { "\($0.id) \($0.status)" })")
            let holds = Set(line.compactMap(\.hold))
            #expect(holds.count == 4)
            #expect(try await replicas[2].stock(id) == (0, 4, 6))
            #expect(try await replicas[2].resource(id).waitingCount == 7)
        }
    }
}
