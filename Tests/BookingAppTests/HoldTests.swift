import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Holds")
struct HoldTests {
    @Test("a hold takes units from available at once; confirm makes one booking, a second confirm returns it (200)",
          arguments: TestDatabase.allCases)
    func holdThenConfirm(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let id = try await client.createResource("Workshop", total: 10, adminToken: try await client.adminToken())
            let token = try await client.userToken("holder")
            let held = try await client.hold(id, quantity: 3, ttl: 120, token: token)
            #expect(held.status == .created, "\(held.text)")
            #expect(try held.hold.status == "held")
            #expect(try held.hold.resourceName == "Workshop")
            #expect(try held.hold.expiresAt == clock.now().addingTimeInterval(120).wireFormat)
            #expect(try await client.stock(id) == (7, 3, 10))
            let holdID = try held.hold.id

            let confirmed = try await client.send(.POST, "/holds/\(holdID)/confirm", token: token)
            #expect(confirmed.status == .created, "\(confirmed.text)")
            #expect(try confirmed.booking.hold == holdID)
            #expect(try confirmed.booking.purchaseQuantity == 3)
            #expect(try await client.stock(id) == (7, 0, 10))

            let again = try await client.send(.POST, "/holds/\(holdID)/confirm", token: token)
            #expect(again.status == .ok)
            #expect(try again.booking.id == confirmed.booking.id)
            #expect(try await client.stock(id) == (7, 0, 10))

            let shown = try await client.send(.GET, "/holds/\(holdID)/", token: token)
            #expect(try shown.hold.status == "confirmed")
            #expect(try shown.hold.booking == confirmed.booking.id)
            // Releasing a confirmed hold changes nothing.
            let release = try await client.send(.DELETE, "/holds/\(holdID)/", token: token)
            #expect(release.status == .conflict)
            #expect(release.code == "hold_not_active")
            #expect(try await client.stock(id) == (7, 0, 10))
        }
    }

    @Test("release gives the units back exactly once", arguments: TestDatabase.allCases)
    func releaseOnce(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let id = try await client.createResource("Kayak", total: 4, adminToken: try await client.adminToken())
            let token = try await client.userToken("paddler")
            let holdID = try await client.hold(id, quantity: 4, token: token).hold.id
            #expect(try await client.stock(id) == (0, 4, 4))
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<10 { group.addTask { try await client.send(.DELETE, "/holds/\(holdID)/", token: token).status } }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .conflict }.count == 9, "\(statuses)")
            #expect(try await client.stock(id) == (4, 0, 4))
            let confirm = try await client.send(.POST, "/holds/\(holdID)/confirm", token: token)
            #expect(confirm.status == .conflict)
            #expect(confirm.code == "hold_not_active")
        }
    }

    @Test("50 concurrent holds on the last 5 units: exactly 5 succeed, the rest are told 0 are left", arguments: TestDatabase.allCases)
    func lastUnits(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Encore", total: 8, adminToken: admin)
            let early = try await client.userToken("early")
            #expect(try await client.book(id, quantity: 3, token: early).status == .created)
            var tokens: [String] = []
            for index in 0..<5 { tokens.append(try await client.userToken("racer\(index)")) }
            let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
                for attempt in 0..<50 {
                    let token = tokens[attempt % tokens.count]
                    group.addTask { try await client.hold(id, quantity: 1, token: token) }
                }
                return try await group.reduce(into: [TestClient.Reply]()) { $0.append($1) }
            }
            let created = replies.filter { $0.status == .created }.count
            let refused = replies.filter { $0.status == .badRequest && $0.code == "insufficient_quantity" }
            let toldNoneLeft = refused.filter { $0.text.contains("only 0 left") }.count
            #expect(created == 5)
            #expect(refused.count == 45)
            #expect(toldNoneLeft == 45)
            #expect(try await client.stock(id) == (0, 5, 8))
        }
    }

    @Test("a hold blocks until expires_at and not a moment longer, with no sweeper", arguments: TestDatabase.allCases)
    func exactExpiry(db: TestDatabase) async throws {
        let clock = ManualClock()
        let start = clock.now()
        try await withBookingApp(db, clock: clock) { client in
            let id = try await client.createResource("Last seat", total: 1, adminToken: try await client.adminToken())
            let holder = try await client.userToken("slow-payer"), other = try await client.userToken("next-in-line")
            let holdID = try await client.hold(id, quantity: 1, ttl: 60, token: holder).hold.id
            let expiry = start.addingTimeInterval(60)

            clock.set(expiry.addingTimeInterval(-0.001))
            #expect(try await client.stock(id) == (0, 1, 1))
            #expect(try await client.book(id, quantity: 1, token: other).status == .badRequest)
            #expect(try await client.send(.GET, "/holds/\(holdID)/", token: holder).hold.status == "held")
            let catalogue = try await client.send(.GET, "/resources/").catalogue
            #expect(catalogue.outOfStockResources.count == 1)
            #expect(try await client.send(.GET, "/resources/?in_stock=true").catalogue.resources.isEmpty)

            clock.set(expiry)
            // Nothing has tidied the hold: the listing and the hold's status are exact all the same.
            #expect(try await client.stock(id) == (1, 0, 1))
            let page = try await client.send(.GET, "/resources/?in_stock=true&limit=10").catalogue
            #expect(page.resources.first?.availableQuantity == 1, "a page counts the lapsed hold too")
            #expect(try await client.send(.GET, "/holds/\(holdID)/", token: holder).hold.status == "expired")
            let expired = try await client.send(.GET, "/holds/?status=expired", token: holder).holds
            #expect(expired.map(\.id) == [holdID])
            #expect(try await client.send(.GET, "/holds/?status=held", token: holder).holds.isEmpty)
            let booked = try await client.book(id, quantity: 1, token: other)
            #expect(booked.status == .created, "\(booked.text)")
            #expect(try await client.stock(id) == (0, 0, 1))

            // The hold's owner comes back too late: its units are gone.
            let late = try await client.send(.POST, "/holds/\(holdID)/confirm", token: holder)
            #expect(late.status == .conflict)
            #expect(late.code == "hold_expired")
            #expect(try await client.send(.DELETE, "/holds/\(holdID)/", token: holder).code == "hold_not_active")
        }
    }

    @Test("an expired hold confirms if its units are still free, taking them again", arguments: TestDatabase.allCases)
    func lateConfirmRetakes(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let id = try await client.createResource("Quiet class", total: 5, adminToken: try await client.adminToken())
            let token = try await client.userToken("late-but-lucky")
            let holdID = try await client.hold(id, quantity: 2, ttl: 30, token: token).hold.id
            clock.advance(by: 31)
            #expect(try await client.stock(id) == (5, 0, 5))
            let confirmed = try await client.send(.POST, "/holds/\(holdID)/confirm", token: token)
            #expect(confirmed.status == .created, "\(confirmed.text)")
            #expect(try await client.stock(id) == (3, 0, 5))
            #expect(try await client.send(.POST, "/holds/\(holdID)/confirm", token: token).status == .ok)
            #expect(try await client.stock(id) == (3, 0, 5))
        }
    }

    @Test("the expiry job writes expired holds down and counts them once", arguments: TestDatabase.allCases)
    func expiryJob(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let id = try await client.createResource("Bikes", total: 6, adminToken: try await client.adminToken())
            let token = try await client.userToken("cyclist")
            for _ in 0..<3 { #expect(try await client.hold(id, quantity: 2, ttl: 40, token: token).status == .created) }
            #expect(try await client.app.domain.holds.tidy() == 0)
            let before = MetricsTests.Samples(try await client.send(.GET, "/metrics").text)
            #expect(before["booking_units_held"] == 6)
            clock.advance(by: 40)
            #expect(try await client.app.domain.holds.tidy(batch: 2) == 3)
            #expect(try await client.app.domain.holds.tidy() == 0)
            let stored = try await client.app.domain.storage.holds.list(
                HoldFilter(userID: nil, resourceID: id, status: nil, limit: 10, offset: 0), at: clock.now())
            #expect(stored.map(\.storedStatus) == [.expired, .expired, .expired])
            #expect(try await client.stock(id) == (6, 0, 6))
            let samples = MetricsTests.Samples(try await client.send(.GET, "/metrics").text)
            #expect(samples[#"booking_holds_total{status="expired"}"#] == 3)
            #expect(samples[#"booking_holds_total{status="held"}"#] == 3)
            #expect(samples["booking_units_held"] == 0)
        }
    }

    @Test("confirming twice at once makes one booking", arguments: TestDatabase.allCases)
    func concurrentConfirms(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let id = try await client.createResource("Gala", total: 3, adminToken: try await client.adminToken())
            let token = try await client.userToken("twice")
            let holdID = try await client.hold(id, quantity: 3, token: token).hold.id
            let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
                for _ in 0..<12 { group.addTask { try await client.send(.POST, "/holds/\(holdID)/confirm", token: token) } }
                return try await group.reduce(into: [TestClient.Reply]()) { $0.append($1) }
            }
            let bookingIDs = Set(try replies.map { try $0.booking.id })
            #expect(replies.filter { $0.status == .created }.count == 1)
            #expect(replies.filter { $0.status == .ok }.count == 11)
            #expect(bookingIDs.count == 1)
            #expect(try await client.send(.GET, "/bookings/", token: token).bookings.count == 1)
            #expect(try await client.stock(id) == (0, 0, 3))
        }
    }

    @Test("confirm racing release: exactly one wins, and the stock says which", arguments: TestDatabase.allCases)
    func confirmRacingRelease(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let id = try await client.createResource("Boat trip", total: 2, adminToken: try await client.adminToken())
            let token = try await client.userToken("undecided")
            for _ in 0..<5 {
                let holdID = try await client.hold(id, quantity: 2, token: token).hold.id
                async let confirm = client.send(.POST, "/holds/\(holdID)/confirm", token: token)
                async let release = client.send(.DELETE, "/holds/\(holdID)/", token: token)
                let (confirmed, released) = try await (confirm, release)
                let outcome = (confirmed.status, released.status)
                #expect(outcome == (.created, .conflict) || outcome == (.conflict, .ok), "\(outcome)")
                if confirmed.status == .created {
                    #expect(try await client.stock(id) == (0, 0, 2))
                    let bookingID = try confirmed.booking.id
                    #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: token).status == .ok)
                } else {
                    #expect(confirmed.code == "hold_not_active")
                }
                #expect(try await client.stock(id) == (2, 0, 2))
            }
        }
    }

    @Test("confirm racing expiry: a booking by someone else and the expiry job; never both the booking and the hold",
          arguments: TestDatabase.allCases)
    func confirmRacingExpiry(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: patientPool, clock: clock) { client in
            let id = try await client.createResource("Front seat", total: 1, adminToken: try await client.adminToken())
            let holder = try await client.userToken("at-the-wire"), rival = try await client.userToken("rival")
            for _ in 0..<5 {
                let holdID = try await client.hold(id, quantity: 1, ttl: 30, token: holder).hold.id
                clock.advance(by: 30)
                async let confirm = client.send(.POST, "/holds/\(holdID)/confirm", token: holder)
                async let booking = client.book(id, quantity: 1, token: rival)
                async let tidy = client.app.domain.holds.tidy()
                let (confirmed, booked, _) = try await (confirm, booking, tidy)
                let outcome = (confirmed.status, booked.status)
                #expect(outcome == (.created, .badRequest) || outcome == (.conflict, .created), "\(outcome)")
                if confirmed.status == .conflict { #expect(confirmed.code == "hold_expired") }
                #expect(try await client.stock(id) == (0, 0, 1))
                // Whoever got it cancels, for the next round.
                let winner = confirmed.status == .created ? confirmed : booked
                let winnerToken = confirmed.status == .created ? holder : rival
                let bookingID = try winner.booking.id
                #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: winnerToken).status == .ok)
                #expect(try await client.stock(id) == (1, 0, 1))
            }
        }
    }

    @Test("another user's hold cannot be read, confirmed or released (404); an admin can", arguments: TestDatabase.allCases)
    func ownership(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Private", total: 2, adminToken: admin)
            let owner = try await client.userToken("owner"), stranger = try await client.userToken("stranger")
            let holdID = try await client.hold(id, quantity: 1, token: owner).hold.id
            for (method, path) in [(HTTPMethod.GET, "/holds/\(holdID)/"), (.POST, "/holds/\(holdID)/confirm"), (.DELETE, "/holds/\(holdID)/")] {
                let reply = try await client.send(method, path, token: stranger)
                #expect(reply.status == .notFound, "\(method) \(path)")
                #expect(reply.code == "hold_not_found")
            }
            #expect(try await client.send(.GET, "/holds/", token: stranger).holds.isEmpty)
            #expect(try await client.stock(id) == (1, 1, 2))
            #expect(try await client.send(.GET, "/holds/", token: admin).holds.count == 1)
            let confirmed = try await client.send(.POST, "/holds/\(holdID)/confirm", token: admin)
            #expect(confirmed.status == .created)
            #expect(try confirmed.booking.user == (try await client.send(.GET, "/users/me/", token: owner).user.id))
        }
    }

    @Test("ttl_seconds shortens a hold, is capped at HOLD_TTL, and is refused out of range; bad bodies change nothing",
          arguments: TestDatabase.allCases)
    func ttlAndValidation(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { $0.holdTTL = 300 }, clock: clock) { client in
            let id = try await client.createResource("Desk", total: 5, adminToken: try await client.adminToken())
            let token = try await client.userToken("valid")
            let now = clock.now()
            #expect(try await client.hold(id, quantity: 1, token: token).hold.expiresAt == now.addingTimeInterval(300).wireFormat)
            #expect(try await client.hold(id, quantity: 1, ttl: 45, token: token).hold.expiresAt
                == now.addingTimeInterval(45).wireFormat)
            #expect(try await client.hold(id, quantity: 1, ttl: 3600, token: token).hold.expiresAt
                == now.addingTimeInterval(300).wireFormat)
            for body: [String: Any] in [
                ["resource": id, "quantity": 0], ["resource": id, "quantity": -1], ["resource": id, "quantity": 1.5],
                ["resource": id], ["quantity": 1], ["resource": id, "quantity": 1, "ttl_seconds": 0],
                ["resource": id, "quantity": 1, "ttl_seconds": 86_401], ["resource": id, "quantity": 1, "ttl_seconds": "60"],
            ] {
                let reply = try await client.send(.POST, "/holds/", token: token, json: body)
                #expect(reply.status == .badRequest, "\(body): \(reply.text)")
                #expect(reply.code == "invalid_field", "\(body): \(reply.text)")
            }
            #expect(try await client.hold(999, quantity: 1, token: token).code == "resource_not_found")
            #expect(try await client.send(.GET, "/holds/?status=lapsed", token: token).status == .badRequest)
            #expect(try await client.send(.GET, "/holds/abc/", token: token).status == .notFound)
            #expect(try await client.stock(id) == (2, 3, 5))
        }
    }

    @Test("an Idempotency-Key makes a retried hold return the first and hold nothing more", arguments: TestDatabase.allCases)
    func idempotentHold(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Retry", total: 5, adminToken: try await client.adminToken())
            let token = try await client.userToken("retrier")
            let body: [String: Any] = ["resource": id, "quantity": 2]
            let first = try await client.send(.POST, "/holds/", token: token, json: body, headers: [("Idempotency-Key", "k1")])
            let second = try await client.send(.POST, "/holds/", token: token, json: body, headers: [("Idempotency-Key", "k1")])
            #expect(first.status == .created)
            #expect(second.status == .created)
            #expect(second.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try first.hold.id == second.hold.id)
            #expect(try await client.stock(id) == (3, 2, 5))
            // The same key for a different request, or for a booking, is refused.
            let other = try await client.send(.POST, "/holds/", token: token, json: ["resource": id, "quantity": 1], headers: [("Idempotency-Key", "k1")])
            #expect(other.status == .unprocessableEntity)
            let booking = try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 2],
                                                headers: [("Idempotency-Key", "k1")])
            #expect(booking.status == .unprocessableEntity)
            #expect(try await client.stock(id) == (3, 2, 5))
        }
    }

    @Test("resizing counts held units like booked ones; a resource with an active hold cannot be deleted", arguments: TestDatabase.allCases)
    func resizeAndDelete(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Hall", total: 10, adminToken: admin)
            let token = try await client.userToken("organiser")
            #expect(try await client.book(id, quantity: 3, token: token).status == .created)
            let holdID = try await client.hold(id, quantity: 4, ttl: 60, token: token).hold.id
            let tooSmall = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 6])
            #expect(tooSmall.status == .conflict)
            #expect(tooSmall.code == "quantity_below_booked")
            #expect(try await client.stock(id) == (3, 4, 10))
            let resized = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 7])
            #expect(resized.status == .ok)
            #expect(try await client.stock(id) == (0, 4, 7))

            let bookingID = try #require(try await client.send(.GET, "/bookings/", token: token).bookings.first?.id)
            #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: token).status == .ok)
            let refused = try await client.send(.DELETE, "/resources/\(id)/", token: admin)
            #expect(refused.status == .conflict)
            #expect(refused.code == "resource_has_active_holds")
            // Once the hold has lapsed it holds nothing, and the resource can go (with its history).
            clock.advance(by: 60)
            #expect(try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 0]).status == .ok)
            #expect(try await client.send(.DELETE, "/resources/\(id)/", token: admin).status == .noContent)
            #expect(try await client.send(.GET, "/holds/\(holdID)/", token: token).status == .notFound)
        }
    }
}
