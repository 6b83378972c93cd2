import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Per-user limits")
struct UserLimitTests {

    /// Sends `count` requests at once from `token`, alternating bookings and holds of one unit, spread over `clients`.
    static func race(_ count: Int, of id: Int, token: String, through clients: [TestClient]) async throws -> [TestClient.Reply] {
        try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
            for attempt in 0..<count {
                let client = clients[attempt % clients.count]
                group.addTask {
                    attempt % 2 == 0 ? try await client.book(id, quantity: 1, token: token) : try await client.hold(id, quantity: 1, token: token)
                }
            }
            return try await group.reduce(into: [TestClient.Reply]()) { $0.append($1) }
        }
    }

    @Test("max_per_booking and max_per_user refuse with what may still be taken; cancelling, releasing and expiry give it back",
          arguments: TestDatabase.allCases)
    func limits(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, clock: clock) { client in
            let admin = try await client.adminToken()
            let created = try await client.send(.POST, "/resources/", token: admin,
                                                json: ["name": "Tickets", "total_quantity": 100, "max_per_user": 4, "max_per_booking": 3])
            #expect(created.status == .created)
            #expect(created.json["max_per_user"] as? Int == 4)
            #expect(created.json["max_per_booking"] as? Int == 3)
            let id = try #require(created.json["id"] as? Int)
            let fan = try await client.userToken("fan"), other = try await client.userToken("other-fan")

            let tooMany = try await client.book(id, quantity: 4, token: fan)
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.code == "per_booking_limit")
            #expect(try await client.hold(id, quantity: 4, token: fan).code == "per_booking_limit")

            let booked = try await client.book(id, quantity: 3, token: fan)
            #expect(booked.status == .created)
            let over = try await client.hold(id, quantity: 2, token: fan)
            #expect(over.status == .conflict)
            #expect(over.code == "per_user_limit")
            #expect(over.text.contains("you may take 1 more"), "\(over.text)")
            let holdID = try await client.hold(id, quantity: 1, ttl: 60, token: fan).hold.id
            #expect(try await client.book(id, quantity: 1, token: fan).code == "per_user_limit")
            // The limit is per user: someone else is not affected.
            #expect(try await client.book(id, quantity: 3, token: other).status == .created)
            #expect(try await client.stock(id) == (93, 1, 100))

            // Releasing gives the allowance back, and so does cancelling.
            #expect(try await client.send(.DELETE, "/holds/\(holdID)/", token: fan).status == .ok)
            #expect(try await client.book(id, quantity: 1, token: fan).status == .created)
            #expect(try await client.book(id, quantity: 1, token: fan).code == "per_user_limit")
            let bookingID = try #require(booked.json["id"] as? Int)
            #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: fan).status == .ok)
            #expect(try await client.hold(id, quantity: 3, ttl: 60, token: fan).status == .created)
            #expect(try await client.hold(id, quantity: 1, token: fan).code == "per_user_limit")
            // So does expiry, the moment it happens.
            clock.advance(by: 60)
            #expect(try await client.hold(id, quantity: 3, token: fan).status == .created)

            // Removing the limit lifts it; lowering it takes nothing from anyone.
            let lifted = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["max_per_user": NSNull()])
            #expect(lifted.json["max_per_user"] is NSNull)
            #expect(lifted.json["max_per_booking"] as? Int == 3)
            #expect(try await client.book(id, quantity: 3, token: fan).status == .created)
            let lowered = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["max_per_user": 1])
            #expect(lowered.status == .ok)
            #expect(try await client.send(.GET, "/bookings/", token: fan).jsonArray.count == 2)
            #expect(try await client.book(id, quantity: 1, token: fan).code == "per_user_limit")
        }
    }

    @Test("limits that are not positive integers are refused and change nothing", arguments: TestDatabase.allCases)
    func validation(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Plain", total: 5, adminToken: admin)
            for bad: Any in [0, -1, 1.5, "2", true, 2_147_483_648] {
                for field in ["max_per_user", "max_per_booking"] {
                    let create = try await client.send(.POST, "/resources/", token: admin, json: ["name": "Bad \(field)", "total_quantity": 1, field: bad])
                    #expect(create.status == .badRequest, "\(field)=\(bad): \(create.text)")
                    #expect(create.field == field)
                    let patch = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: [field: bad])
                    #expect(patch.status == .badRequest, "\(field)=\(bad): \(patch.text)")
                }
            }
            let resource = try await client.resource(id)
            #expect(resource.maxPerUser == nil && resource.maxPerBooking == nil)
            let listed = try await client.send(.GET, "/resources/").json["resources"] as? [[String: Any]]
            #expect(listed?.count == 1, "no resource was created by a refused request")
        }
    }

    @Test("20 requests at once from one user never pass max_per_user", arguments: TestDatabase.allCases)
    func concurrentLimit(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let admin = try await client.adminToken()
            let created = try await client.send(.POST, "/resources/", token: admin, json: ["name": "Drop", "total_quantity": 50, "max_per_user": 3])
            let id = try #require(created.json["id"] as? Int)
            let scalper = try await client.userToken("scalper")
            let replies = try await Self.race(20, of: id, token: scalper, through: [client])
            let taken = replies.filter { $0.status == .created }.count
            let limited = replies.filter { $0.status == .conflict && $0.code == "per_user_limit" }.count
            #expect(taken == 3)
            #expect(limited == 17, "\(replies.map { "\($0.status.code) \($0.code ?? "")" })")
            let (available, held, total) = try await client.stock(id)
            #expect(total - available == 3)
            #expect(held + (try await client.send(.GET, "/bookings/", token: scalper).jsonArray.count) == 3)
        }
    }

    @Test("20 requests at once from one user through three replicas never pass max_per_user", .requiresPostgres)
    func limitAcrossReplicas() async throws {
        try await withPostgresReplicas(3, configure: patientPool) { replicas in
            let admin = try await replicas[0].adminToken()
            let created = try await replicas[0].send(.POST, "/resources/", token: admin,
                                                     json: ["name": "Sneakers", "total_quantity": 50, "max_per_user": 2])
            let id = try #require(created.json["id"] as? Int)
            let scalper = try await replicas[1].userToken("bot")
            for round in 0..<3 {
                let replies = try await Self.race(20, of: id, token: scalper, through: replicas)
                let taken = replies.filter { $0.status == .created }.count
                let limited = replies.filter { $0.status == .conflict && $0.code == "per_user_limit" }.count
                #expect(taken == (round == 0 ? 2 : 0), "round \(round)")
                #expect(limited == 20 - taken, "round \(round): \(replies.map { "\($0.status.code) \($0.code ?? "")" })")
            }
            let (available, _, total) = try await replicas[2].stock(id)
            #expect(total - available == 2)
        }
    }
}
