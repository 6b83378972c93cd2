import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Resources and the admin's stock management")
struct ResourceTests {
    @Test("the listing splits in-stock from out-of-stock, ordered by id, in the seed's shape", arguments: TestDatabase.allCases)
    func listing(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let a = try await client.createResource("Projector", total: 2, adminToken: admin)
            let b = try await client.createResource("Van", total: 3, available: 0, adminToken: admin)
            let c = try await client.createResource("Room", total: 1, adminToken: admin)

            let reply = try await client.send(.GET, "/resources/")
            #expect(reply.status == .ok)
            let catalogue = try reply.catalogue
            #expect(catalogue.message == "Resources fetched successfully")
            #expect(catalogue.resources.map(\.id) == [a, c])
            #expect(catalogue.outOfStockResources.map(\.id) == [b])
            // The seed's keys, and the stock held, the per-user limits (null when unset) and the waiting list.
            let first = try #require((reply.json["resources"] as? [[String: Any]])?.first)
            #expect(Set(first.keys) == ["id", "name", "description", "total_quantity", "available_quantity",
                                        "held_quantity", "max_per_user", "max_per_booking", "waiting_count", "schedule"])
            #expect(first["schedule"] is NSNull, "a pool's schedule is null")
            #expect(first["max_per_user"] is NSNull, "unset limits are null, not absent")
            #expect(catalogue.resources[0].waitingCount == 0 && catalogue.resources[0].maxPerUser == nil)
        }
    }

    @Test("search, in_stock, limit and offset page the catalogue, in stock first, in the same shape; bad values are 400",
          arguments: TestDatabase.allCases)
    func cataloguePages(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let alpha = try await client.createResource("Alpha Room", total: 2, adminToken: admin)
            let gone = try await client.createResource("Sold-out room", total: 1, available: 0, adminToken: admin)
            let beta = try await client.createResource("Beta ROOM", total: 2, adminToken: admin)
            let sale = try await client.createResource("50% off", total: 2, adminToken: admin)
            let under = try await client.createResource("a_b", total: 2, adminToken: admin)
            func ids(_ query: String) async throws -> (inStock: [Int], outOfStock: [Int]) {
                let reply = try await client.send(.GET, "/resources/?\(query)")
                #expect(reply.status == .ok, "\(query): \(reply.text)")
                let catalogue = try reply.catalogue
                #expect(catalogue.message == "Resources fetched successfully")
                return (catalogue.resources.map(\.id), catalogue.outOfStockResources.map(\.id))
            }
            let rooms = try await ids("search=room")
            #expect(rooms.inStock == [alpha, beta])
            #expect(rooms.outOfStock == [gone])
            #expect(try await ids("search=%25").inStock == [sale], "a % in the search is a percent sign, not a wildcard")
            #expect(try await ids("search=_").inStock == [under])
            #expect(try await ids("search=%20%20alpha%20%20ROOM").inStock == [alpha], "spaces and case as names compare")
            #expect(try await ids("in_stock=true").inStock == [alpha, beta, sale, under])
            #expect(try await ids("in_stock=true").outOfStock.isEmpty)
            #expect(try await ids("in_stock=false").outOfStock == [gone])
            // In stock first, then by id, across pages.
            let first = try await ids("limit=3"), second = try await ids("limit=3&offset=3")
            #expect(first.inStock == [alpha, beta, sale])
            #expect(second.inStock == [under])
            #expect(second.outOfStock == [gone])
            let past = try await ids("limit=2&offset=4")
            #expect(past.inStock.isEmpty)
            #expect(past.outOfStock == [gone], "the out-of-stock part starts after every in-stock resource")
            #expect(try await ids("in_stock=false&offset=1").outOfStock.isEmpty)
            for bad in ["in_stock=yes", "limit=0", "limit=1001", "offset=-1", "limit=x", "search=%01"] {
                #expect(try await client.send(.GET, "/resources/?\(bad)").status == .badRequest, "\(bad)")
            }
            // Without any of them, the seed's whole list.
            let whole = try await client.send(.GET, "/resources/").catalogue
            #expect(whole.resources.count == 4)
        }
    }

    @Test("one resource by id; unknown or non-numeric ids are 404", arguments: TestDatabase.allCases)
    func show(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Desk", total: 4, adminToken: try await client.adminToken())
            let reply = try await client.send(.GET, "/resources/\(id)")
            #expect(reply.status == .ok)
            #expect(try reply.resource.name == "Desk")
            #expect(try reply.resource.availableQuantity == 4)
            for path in ["/resources/999999/", "/resources/abc/", "/resources/-1/", "/resources/99999999999999999999999/"] {
                let missing = try await client.send(.GET, path)
                #expect(missing.status == .notFound, "\(path)")
                #expect(missing.code == "resource_not_found")
            }
        }
    }

    @Test("creating needs an admin: 401 without a token, 403 for a user", arguments: TestDatabase.allCases)
    func createNeedsAdmin(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let body: [String: Any] = ["name": "Boat", "total_quantity": 1]
            #expect(try await client.send(.POST, "/resources/", json: body).status == .unauthorized)
            let user = try await client.userToken("mike")
            let forbidden = try await client.send(.POST, "/resources/", token: user, json: body)
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.code == "admin_required")
            #expect(try await client.send(.GET, "/resources/").catalogue.resources.isEmpty)
        }
    }

    @Test("description defaults to empty and available to total", arguments: TestDatabase.allCases)
    func createDefaults(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let reply = try await client.send(.POST, "/resources/", token: try await client.adminToken(),
                                              json: ["name": "  Tent  ", "total_quantity": 7])
            #expect(reply.status == .created)
            #expect(try reply.resource.name == "Tent")
            #expect(try reply.resource.description == "")
            #expect(try reply.resource.totalQuantity == 7)
            #expect(try reply.resource.availableQuantity == 7)
        }
    }

    @Test("invalid resources get 400 naming the field and create nothing", arguments: TestDatabase.allCases)
    func invalidCreates(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            _ = try await client.createResource("Kayak", total: 1, adminToken: admin)
            let cases: [(body: [String: Any], field: String?, code: String)] = [
                (["total_quantity": 1], "name", "invalid_field"),
                (["name": "", "total_quantity": 1], "name", "invalid_field"),
                (["name": "   ", "total_quantity": 1], "name", "invalid_field"),
                (["name": "12345", "total_quantity": 1], "name", "invalid_field"),
                (["name": "kAyAk", "total_quantity": 1], nil, "resource_name_taken"),
                (["name": String(repeating: "n", count: 201), "total_quantity": 1], "name", "invalid_field"),
                (["name": "bad\u{0}name", "total_quantity": 1], "name", "invalid_field"),
                (["name": "Canoe"], "total_quantity", "invalid_field"),
                (["name": "Canoe", "total_quantity": -1], "total_quantity", "invalid_field"),
                (["name": "Canoe", "total_quantity": 3, "available_quantity": -1], "available_quantity", "invalid_field"),
                (["name": "Canoe", "total_quantity": 3, "available_quantity": 4], "available_quantity", "invalid_field"),
                (["name": "Canoe", "total_quantity": 2_147_483_648], "total_quantity", "invalid_field"),
                (["name": "Canoe", "total_quantity": "3"], "total_quantity", "invalid_field"),
                (["name": "Canoe", "total_quantity": 1e30], "total_quantity", "invalid_field"),
                (["name": "Canoe", "total_quantity": 1, "description": String(repeating: "d", count: 10_001)], "description", "invalid_field"),
            ]
            for (body, field, code) in cases {
                let reply = try await client.send(.POST, "/resources/", token: admin, json: body)
                #expect(reply.status == .badRequest, "\(body): \(reply.text)")
                #expect(reply.code == code, "\(body): \(reply.text)")
                #expect(reply.field == field, "\(body)")
            }
            let listing = try await client.send(.GET, "/resources/")
            #expect(try listing.catalogue.resources.count == 1)
        }
    }

    @Test("PATCH renames and resizes; available moves with total", arguments: TestDatabase.allCases)
    func patch(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Bike", total: 5, adminToken: admin)
            let user = try await client.userToken("nina")
            #expect(try await client.book(id, quantity: 2, token: user).status == .created)

            let grown = try await client.send(.PATCH, "/resources/\(id)/", token: admin,
                                              json: ["name": "E-Bike", "description": "electric", "total_quantity": 8])
            #expect(grown.status == .ok)
            #expect(try grown.resource.name == "E-Bike")
            #expect(try grown.resource.description == "electric")
            #expect(try grown.resource.totalQuantity == 8)
            #expect(try grown.resource.availableQuantity == 6)

            let shrunk = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 2])
            #expect(try shrunk.resource.availableQuantity == 0)

            let tooSmall = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 1])
            #expect(tooSmall.status == .conflict)
            #expect(tooSmall.code == "quantity_below_booked")
            #expect(try await client.resource(id).totalQuantity == 2)

            let direct = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["available_quantity": 9])
            #expect(direct.status == .badRequest)
            #expect(direct.field == "available_quantity")

            let other = try await client.createResource("Scooter", total: 1, adminToken: admin)
            let clash = try await client.send(.PATCH, "/resources/\(other)/", token: admin, json: ["name": "e-bike"])
            #expect(clash.code == "resource_name_taken")
            let sameName = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["name": "E-BIKE"])
            #expect(sameName.status == .ok, "renaming to a new case of its own name is allowed")

            #expect(try await client.send(.PATCH, "/resources/424242/", token: admin, json: ["total_quantity": 1]).status == .notFound)
            #expect(try await client.send(.PATCH, "/resources/\(id)/", token: user, json: ["total_quantity": 9]).status == .forbidden)
            #expect(try await client.resource(id).totalQuantity == 2)
        }
    }

    @Test("DELETE refuses while bookings are active, then removes the resource", arguments: TestDatabase.allCases)
    func delete(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Drone", total: 3, adminToken: admin)
            let user = try await client.userToken("oscar")
            let booking = try await client.book(id, quantity: 1, token: user)
            let bookingID = try booking.booking.id

            #expect(try await client.send(.DELETE, "/resources/\(id)/", token: user).status == .forbidden)
            let refused = try await client.send(.DELETE, "/resources/\(id)/", token: admin)
            #expect(refused.status == .conflict)
            #expect(refused.code == "resource_has_active_bookings")
            #expect(try await client.send(.GET, "/resources/\(id)/").status == .ok)

            #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: user).status == .ok)
            #expect(try await client.send(.DELETE, "/resources/\(id)/", token: admin).status == .noContent)
            #expect(try await client.send(.GET, "/resources/\(id)/").status == .notFound)
            #expect(try await client.send(.DELETE, "/resources/\(id)/", token: admin).status == .notFound)
        }
    }

    @Test("names that look alike are one name: NFC stored, invisible and bidi characters refused, uniqueness on the folded form",
          arguments: TestDatabase.allCases)
    func lookAlikeNames(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            // Typed as e + combining acute: kept as the one code point é.
            let cafe = try await client.send(.POST, "/resources/", token: admin, json: ["name": "Cafe\u{301} Room A", "total_quantity": 5])
            #expect(cafe.status == .created)
            #expect(try cafe.resource.name == "Caf\u{E9} Room A")
            #expect(try cafe.resource.name.unicodeScalars.count == 11)
            let hidden = ["Caf\u{E9} Room\u{202E}A", "Caf\u{E9}\u{200B} Room A", "Caf\u{E9} Ro\u{AD}om A", "\u{FEFF}Caf\u{E9} Room A",
                          "Caf\u{E9} Room\u{2066}A\u{2069}", "Caf\u{E9} Room\u{200E}A", "Caf\u{E9} Room\u{2060}A", "Caf\u{E9} Room\u{180E}A",
                          "Caf\u{E9} Room\u{61C}A", "Caf\u{E9} Room\u{2028}A", "Caf\u{E9} Room A\u{E0041}", "Caf\u{E9} Roo\u{200D}m A",
                          "Caf\u{E9} Room A\u{3164}", "Caf\u{E9} Room A\u{34F}", "Caf\u{E9} Room A\u{115F}", "Caf\u{E9} Room A\u{2800}",
                          "Caf\u{E9} Room A\u{FE0F}", "Room \u{1F468}\u{200D}\u{1F469}"]
            for name in hidden {
                let reply = try await client.send(.POST, "/resources/", token: admin, json: ["name": name, "total_quantity": 1])
                #expect(reply.status == .badRequest, "\(name.debugDescription)")
                #expect(reply.code == "invalid_field" && reply.field == "name", "\(name.debugDescription): \(reply.text)")
            }
            let twins = ["CAF\u{C9} ROOM A", "Caf\u{E9}\u{A0}Room\u{3000}A", "Caf\u{E9}  Room A", "\u{FF23}af\u{E9} \u{FF32}oom \u{FF21}"]
            for name in twins {
                let reply = try await client.send(.POST, "/resources/", token: admin, json: ["name": name, "total_quantity": 1])
                #expect(reply.code == "resource_name_taken", "\(name.debugDescription): \(reply.text)")
            }
            // Emoji are names of their own (without a joiner, which is invisible).
            let family = try await client.send(.POST, "/resources/", token: admin, json: ["name": "Room \u{1F468}\u{1F469}", "total_quantity": 1])
            #expect(family.status == .created)
            // A rename follows the same rules.
            let id = try family.resource.id
            let rename = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["name": "caf\u{E9}\u{A0}room a"])
            #expect(rename.code == "resource_name_taken")
            // Booking by name finds the resource under any of its look-alike spellings.
            let user = try await client.userToken("nora")
            let booked = try await client.book("cafe\u{301}\u{A0}ROOM a", quantity: 2, token: user)
            #expect(booked.status == .created, "\(booked.text)")
            #expect(try await client.available(try cafe.resource.id) == 3)
            #expect(try await client.send(.GET, "/resources/").catalogue.resources.count == 2)
        }
    }

    @Test("the migration re-keys existing names; two that now count as one both keep their names", arguments: TestDatabase.allCases)
    func rekeyMigration(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let sql = client.app.db as! any SQLDatabase
            // Rows as the old rule (lowercase only) keyed them.
            for (name, key) in [("Hall\u{A0}One", "hall\u{a0}one"), ("Hall One", "hall one"), ("\u{FB01}eld", "\u{FB01}eld"), ("Barn", "barn")] {
                try await sql.raw("""
                    INSERT INTO resources (name, name_key, description, total_quantity, available_quantity, created_at)
                    VALUES (\(bind: name), \(bind: key), '', 1, 1, \(bind: Date()))
                    """).run()
            }
            try await RekeyResourceNames().prepare(on: client.app.db)
            let keys = try await sql.raw("SELECT name, name_key FROM resources ORDER BY id").all().map {
                [try $0.decode(column: "name", as: String.self): try $0.decode(column: "name_key", as: String.self)]
            }
            #expect(keys == [["Hall\u{A0}One": "hall\u{a0}one"], ["Hall One": "hall one"], ["\u{FB01}eld": "field"], ["Barn": "barn"]])
            let admin = try await client.adminToken()
            #expect(try await client.send(.POST, "/resources/", token: admin, json: ["name": "FIELD", "total_quantity": 1]).code
                    == "resource_name_taken")
            try await RekeyResourceNames().revert(on: client.app.db)
            let reverted = try await sql.raw("SELECT name_key FROM resources WHERE name = \(bind: "\u{FB01}eld")").first()
            #expect(try reverted?.decode(column: "name_key", as: String.self) == "\u{FB01}eld")
        }
    }

    @Test("renames and a creation racing for one name: exactly one gets it, the others 400 resource_name_taken, never a 500",
          arguments: TestDatabase.allCases)
    func renameRace(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let admin = try await client.adminToken()
            var ids: [Int] = []
            for index in 0..<6 { ids.append(try await client.createResource("Room \(index)", total: 1, adminToken: admin)) }
            let statuses = try await withThrowingTaskGroup(of: (HTTPStatus, String?).self) { group in
                for id in ids {
                    group.addTask {
                        let reply = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["name": "Main hall"])
                        return (reply.status, reply.code)
                    }
                }
                group.addTask {
                    let reply = try await client.send(.POST, "/resources/", token: admin, json: ["name": "MAIN HALL", "total_quantity": 1])
                    return (reply.status, reply.code)
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .ok || $0.0 == .created }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0.0 == .badRequest && $0.1 == "resource_name_taken" }.count == 6, "\(statuses)")
            let named = try await client.send(.GET, "/resources/?search=main%20hall", token: admin).catalogue
            #expect(named.resources.count + named.outOfStockResources.count == 1)
        }
    }
}
