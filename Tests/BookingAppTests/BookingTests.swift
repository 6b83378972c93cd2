import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Booking and cancelling")
struct BookingTests {
    @Test("a booking by id, numeric string or name answers 201 and takes the stock", arguments: TestDatabase.allCases)
    func book(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Court", total: 10, adminToken: try await client.adminToken())
            let user = try await client.userToken("peggy")
            let userID = try #require(try await client.send(.GET, "/users/", token: user).decode([UserResponse].self).first?.id)

            let byNumber = try await client.book(id, quantity: 2, token: user)
            #expect(byNumber.status == .created)
            // The seed's keys, and the hold a booking confirmed (null for a direct booking), its range and series.
            #expect(Set(byNumber.json.keys) == ["id", "resource", "resource_name", "user", "purchase_quantity", "booking_date", "status", "hold",
                                                "start", "end", "series"])
            #expect(byNumber.json["start"] is NSNull && byNumber.json["end"] is NSNull, "a pool's booking has no range")
            #expect(byNumber.json["series"] is NSNull, "a booking on its own is in no series")
            let booking = try byNumber.booking
            #expect(booking.hold == nil)
            #expect((booking.resource, booking.resourceName, booking.user) == (id, "Court", userID))
            #expect((booking.purchaseQuantity, booking.status) == (2, "active"))
            #expect(booking.bookingDate.hasSuffix("Z") && booking.bookingDate.contains("T"))

            #expect(try await client.book("\(id)", quantity: 3, token: user).status == .created)
            #expect(try await client.book(" court ", quantity: 1, token: user).status == .created)
            #expect(try await client.available(id) == 4)
        }
    }

    @Test("bad quantities and unknown resources are refused and change nothing", arguments: TestDatabase.allCases)
    func refusals(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Kiln", total: 3, adminToken: try await client.adminToken())
            let user = try await client.userToken("quinn")
            let cases: [(resource: Any, quantity: Any, status: HTTPStatus, code: String)] = [
                (id, 0, .badRequest, "invalid_field"),
                (id, -1, .badRequest, "invalid_field"),
                (id, "two", .badRequest, "invalid_field"),
                (id, 1.5, .badRequest, "invalid_field"),
                (id, 2_147_483_648, .badRequest, "invalid_field"),
                (id, 99_999_999_999_999_999_999.0, .badRequest, "invalid_field"),
                (id, 4, .badRequest, "insufficient_quantity"),
                (987_654, 1, .notFound, "resource_not_found"),
                ("987654", 1, .notFound, "resource_not_found"),
                ("No Such Thing", 1, .notFound, "resource_not_found"),
                ("", 1, .badRequest, "invalid_field"),
                ("kiln\u{0}", 1, .badRequest, "invalid_field"),
                ([1], 1, .badRequest, "invalid_field"),
                (1.5, 1, .badRequest, "invalid_field"),
            ]
            for (resource, quantity, status, code) in cases {
                let reply = try await client.book(resource, quantity: quantity, token: user)
                #expect(reply.status == status, "\(resource) × \(quantity): \(reply.text)")
                #expect(reply.code == code, "\(resource) × \(quantity): \(reply.text)")
            }
            let insufficient = try await client.book(id, quantity: 4, token: user)
            #expect(insufficient.reason == "Cannot book 4 unit(s): only 3 left.")

            let missingResource = try await client.send(.POST, "/bookings/", token: user, json: ["purchase_quantity": 1])
            #expect(missingResource.field == "resource")
            #expect(try await client.book(id, quantity: 1, token: "").status == .unauthorized)
            #expect(try await client.send(.POST, "/bookings/", json: ["resource": id, "purchase_quantity": 1]).status == .unauthorized)

            #expect(try await client.available(id) == 3)
            #expect(try await client.send(.GET, "/bookings/?status=all", token: user).bookings.isEmpty)
        }
    }

    @Test("listing: own bookings, newest first; an admin sees everyone's; filters and paging", arguments: TestDatabase.allCases)
    func listing(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let a = try await client.createResource("Alpha", total: 100, adminToken: admin)
            let b = try await client.createResource("Beta", total: 100, adminToken: admin)
            let rupert = try await client.userToken("rupert")
            let sybil = try await client.userToken("sybil")
            var rupertIDs: [Int] = []
            for resource in [a, b, a] {
                rupertIDs.append(try await client.book(resource, quantity: 1, token: rupert).booking.id)
            }
            #expect(try await client.book(b, quantity: 1, token: sybil).status == .created)
            #expect(try await client.send(.DELETE, "/bookings/\(rupertIDs[0])/", token: rupert).status == .ok)

            let own = try await client.send(.GET, "/bookings/", token: rupert)
            #expect(own.status == .ok)
            #expect(try own.bookings.map(\.id) == [rupertIDs[2], rupertIDs[1]])

            let everyone = try await client.send(.GET, "/bookings/", token: admin)
            #expect(try everyone.bookings.count == 3)

            let cancelled = try await client.send(.GET, "/bookings/?status=cancelled", token: rupert)
            #expect(try cancelled.bookings.map(\.id) == [rupertIDs[0]])
            #expect(try cancelled.bookings.first?.status == "cancelled")
            #expect(try await client.send(.GET, "/bookings/?status=all", token: rupert).bookings.count == 3)

            let onA = try await client.send(.GET, "/bookings/?resource=\(a)&status=all", token: rupert)
            #expect(try onA.bookings.map(\.id) == [rupertIDs[2], rupertIDs[0]])

            let page = try await client.send(.GET, "/bookings/?status=all&limit=1&offset=1", token: rupert)
            #expect(try page.bookings.map(\.id) == [rupertIDs[1]])

            for query in ["limit=0", "limit=1001", "limit=ten", "offset=-1", "status=pending", "resource=abc"] {
                let reply = try await client.send(.GET, "/bookings/?\(query)", token: rupert)
                #expect(reply.status == .badRequest, "\(query)")
                #expect(reply.code == "invalid_field", "\(query)")
            }
            #expect(try await client.send(.GET, "/bookings/").status == .unauthorized)
        }
    }

    @Test("cancelling returns the units exactly once; a second cancel is 409", arguments: TestDatabase.allCases)
    func cancel(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Cabin", total: 5, adminToken: admin)
            let trudy = try await client.userToken("trudy")
            let victor = try await client.userToken("victor")
            let booking = try await client.book(id, quantity: 3, token: trudy).booking.id
            #expect(try await client.available(id) == 2)

            let stranger = try await client.send(.DELETE, "/bookings/\(booking)/", token: victor)
            #expect(stranger.status == .notFound, "someone else's booking is not found")
            #expect(try await client.available(id) == 2)

            let cancelled = try await client.send(.DELETE, "/bookings/\(booking)/", token: trudy)
            #expect(cancelled.status == .ok)
            #expect(try cancelled.booking.status == "cancelled")
            #expect(try await client.available(id) == 5)

            let again = try await client.send(.DELETE, "/bookings/\(booking)/", token: trudy)
            #expect(again.status == .conflict)
            #expect(again.code == "booking_already_cancelled")
            #expect(try await client.available(id) == 5)

            let victors = try await client.book(id, quantity: 1, token: victor).booking.id
            #expect(try await client.send(.DELETE, "/bookings/\(victors)/", token: admin).status == .ok, "an admin cancels any booking")
            #expect(try await client.available(id) == 5)

            #expect(try await client.send(.DELETE, "/bookings/999999/", token: trudy).status == .notFound)
            #expect(try await client.send(.DELETE, "/bookings/abc/", token: trudy).status == .notFound)
            #expect(try await client.send(.DELETE, "/bookings/\(booking)/").status == .unauthorized)
        }
    }

    @Test("one booking by id: the owner's and an admin's to see, in any state; 404 for anyone else", arguments: TestDatabase.allCases)
    func show(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Kayak", total: 2, adminToken: admin)
            let uma = try await client.userToken("uma-owner")
            let vera = try await client.userToken("vera-other")
            let created = try await client.book(id, quantity: 2, token: uma)
            let booking = try created.booking.id

            let own = try await client.send(.GET, "/bookings/\(booking)/", token: uma)
            #expect(own.status == .ok)
            #expect(try own.booking.id == booking && own.booking.purchaseQuantity == 2)
            #expect(try own.booking.status == "active" && own.booking.resourceName == "Kayak")
            #expect(try await client.send(.GET, "/bookings/\(booking)/", token: admin).status == .ok)
            #expect(try await client.send(.GET, "/bookings/\(booking)/", token: vera).status == .notFound)
            #expect(try await client.send(.GET, "/bookings/\(booking)/").status == .unauthorized)
            #expect(try await client.send(.GET, "/bookings/999999/", token: uma).status == .notFound)
            #expect(try await client.send(.GET, "/bookings/abc/", token: uma).status == .notFound)

            _ = try await client.send(.DELETE, "/bookings/\(booking)/", token: uma)
            let cancelled = try await client.send(.GET, "/bookings/\(booking)", token: uma)
            #expect(try cancelled.booking.status == "cancelled")
            #expect(try await client.available(id) == 2, "looking changes nothing")
        }
    }

    @Test("on PostgreSQL the listing's JSON is written by the database and equals what the DTOs encode for the same rows, dates to the millisecond included", .requiresPostgres)
    func listingWrittenByTheDatabase() async throws {
        try await withBookingApp(.postgres) { client in
            let admin = try await client.adminToken()
            let plain = try await client.createResource(#"Quote " back\slash / ünïcode ✓"#, total: 1_000, adminToken: admin)
            let fan = try await client.userToken("fan")
            for quantity in 1...3 { #expect(try await client.book(plain, quantity: quantity, token: fan).status == .created) }
            let held = try await client.hold(plain, quantity: 2, token: fan).hold.id
            #expect(try await client.send(.POST, "/holds/\(held)/confirm", token: fan).status == .created)
            let sql = client.app.db as! any SQLDatabase
            let user = try await client.send(.GET, "/users/me/", token: fan).user.id
            // Dates on every microsecond boundary a millisecond can round or truncate on, and a cancelled booking.
            try await sql.raw("""
                INSERT INTO bookings (resource_id, user_id, purchase_quantity, status, booking_date)
                SELECT \(bind: plain), \(bind: user), 1, CASE WHEN g % 7 = 0 THEN 'cancelled' ELSE 'active' END,
                       TIMESTAMPTZ '2026-11-26 10:00:00.000001+00' + g * INTERVAL '999 microseconds'
                FROM generate_series(1, 300) g
                """).run()
            let owner = try #require(try await client.app.domain.storage.users.find(id: user))
            for status in BookingService.StatusFilter.allCases {
                for (limit, offset) in [(100, 0), (100, 100), (50, 280), (10, 1_000)] {
                    let query = BookingService.Query(status: status, limit: limit, offset: offset)
                    let reply = try await client.send(.GET, "/bookings/?status=\(status.rawValue)&limit=\(limit)&offset=\(offset)", token: fan)
                    #expect(reply.status == .ok)
                    #expect(reply.headers.contentType == .json)
                    let encoded = try JSONEncoder().encode(try await client.app.domain.bookings.bookings(visibleTo: owner, query).map(BookingResponse.init))
                    let fromDTOs = try JSONSerialization.jsonObject(with: encoded) as? NSArray
                    let fromDatabase = try JSONSerialization.jsonObject(with: Data(buffer: reply.body)) as? NSArray
                    #expect(fromDatabase != nil)
                    #expect(fromDatabase == fromDTOs, "\(status) \(limit) \(offset)")
                }
            }
        }
    }
}
