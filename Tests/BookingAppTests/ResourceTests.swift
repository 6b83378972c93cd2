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
            #expect(reply.json["message"] as? String == "Resources fetched successfully")
            let inStock = try #require(reply.json["resources"] as? [[String: Any]])
            let outOfStock = try #require(reply.json["out of stock resources"] as? [[String: Any]])
            #expect(inStock.compactMap { $0["id"] as? Int } == [a, c])
            #expect(outOfStock.compactMap { $0["id"] as? Int } == [b])
            #expect(Set(inStock[0].keys) == ["id", "name", "description", "total_quantity", "available_quantity"])
        }
    }

    @Test("one resource by id; unknown or non-numeric ids are 404", arguments: TestDatabase.allCases)
    func show(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Desk", total: 4, adminToken: try await client.adminToken())
            let reply = try await client.send(.GET, "/resources/\(id)")
            #expect(reply.status == .ok)
            #expect(reply.json["name"] as? String == "Desk")
            #expect(reply.json["available_quantity"] as? Int == 4)
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
            #expect((try await client.send(.GET, "/resources/").json["resources"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test("description defaults to empty and available to total", arguments: TestDatabase.allCases)
    func createDefaults(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let reply = try await client.send(.POST, "/resources/", token: try await client.adminToken(),
                                              json: ["name": "  Tent  ", "total_quantity": 7])
            #expect(reply.status == .created)
            #expect(reply.json["name"] as? String == "Tent")
            #expect(reply.json["description"] as? String == "")
            #expect(reply.json["total_quantity"] as? Int == 7)
            #expect(reply.json["available_quantity"] as? Int == 7)
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
                #expect(reply.json["field"] as? String == field, "\(body)")
            }
            let listing = try await client.send(.GET, "/resources/")
            #expect((listing.json["resources"] as? [[String: Any]])?.count == 1)
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
            #expect(grown.json["name"] as? String == "E-Bike")
            #expect(grown.json["description"] as? String == "electric")
            #expect(grown.json["total_quantity"] as? Int == 8)
            #expect(grown.json["available_quantity"] as? Int == 6)

            let shrunk = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 2])
            #expect(shrunk.json["available_quantity"] as? Int == 0)

            let tooSmall = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 1])
            #expect(tooSmall.status == .conflict)
            #expect(tooSmall.code == "quantity_below_booked")
            #expect(try await client.resource(id)["total_quantity"] as? Int == 2)

            let direct = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["available_quantity": 9])
            #expect(direct.status == .badRequest)
            #expect(direct.json["field"] as? String == "available_quantity")

            let other = try await client.createResource("Scooter", total: 1, adminToken: admin)
            let clash = try await client.send(.PATCH, "/resources/\(other)/", token: admin, json: ["name": "e-bike"])
            #expect(clash.code == "resource_name_taken")
            let sameName = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["name": "E-BIKE"])
            #expect(sameName.status == .ok, "renaming to a new case of its own name is allowed")

            #expect(try await client.send(.PATCH, "/resources/424242/", token: admin, json: ["total_quantity": 1]).status == .notFound)
            #expect(try await client.send(.PATCH, "/resources/\(id)/", token: user, json: ["total_quantity": 9]).status == .forbidden)
            #expect(try await client.resource(id)["total_quantity"] as? Int == 2)
        }
    }

    @Test("DELETE refuses while bookings are active, then removes the resource", arguments: TestDatabase.allCases)
    func delete(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Drone", total: 3, adminToken: admin)
            let user = try await client.userToken("oscar")
            let booking = try await client.book(id, quantity: 1, token: user)
            let bookingID = try #require(booking.json["id"] as? Int)

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
}
