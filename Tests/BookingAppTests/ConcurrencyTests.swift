import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("No oversell under concurrency")
struct ConcurrencyTests {
    @Test("60 concurrent bookings on a stock of 5 sell exactly 5 units", arguments: TestDatabase.allCases)
    func noOversell(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let total = 5
            let id = try await client.createResource("Hot ticket", total: total, adminToken: try await client.adminToken())
            var tokens: [String] = []
            for index in 0..<6 { tokens.append(try await client.userToken("racer\(index)")) }

            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for attempt in 0..<60 {
                    let token = tokens[attempt % tokens.count]
                    group.addTask { try await client.book(id, quantity: 1, token: token).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == total)
            #expect(statuses.allSatisfy { $0 == .created || $0 == .badRequest }, "\(statuses)")

            let available = try #require(try await client.available(id))
            let bookings = try await client.send(.GET, "/bookings/?resource=\(id)&limit=1000", token: try await client.adminToken())
            let booked = bookings.jsonArray.compactMap { $0["purchase_quantity"] as? Int }.reduce(0, +)
            #expect(available == 0)
            #expect(available + booked == total)
        }
    }

    @Test("by id, by name and with Idempotency-Keys, racing together: exactly the stock is sold", arguments: TestDatabase.allCases)
    func everyWayOfBooking(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let total = 7
            let id = try await client.createResource("Front row", total: total, adminToken: try await client.adminToken())
            let token = try await client.userToken("every-way")
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for attempt in 0..<60 {
                    group.addTask {
                        switch attempt % 3 {
                        case 0: return try await client.book(id, quantity: 1, token: token).status
                        case 1: return try await client.book("FRONT ROW", quantity: 1, token: token).status
                        default:
                            return try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 1],
                                                         headers: [("Idempotency-Key", "race-\(attempt)")]).status
                        }
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == total)
            #expect(statuses.allSatisfy { $0 == .created || $0 == .badRequest }, "\(statuses)")
            let booked = try await client.send(.GET, "/bookings/?limit=1000", token: token).jsonArray
                .compactMap { $0["purchase_quantity"] as? Int }.reduce(0, +)
            #expect(try await client.available(id) == 0)
            #expect(booked == total)
        }
    }

    @Test("mixed quantities racing: stock plus booked units always equals the total", arguments: TestDatabase.allCases)
    func mixedQuantities(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let total = 17
            let id = try await client.createResource("Seats", total: total, adminToken: try await client.adminToken())
            let token = try await client.userToken("mixer")
            _ = try await withThrowingTaskGroup(of: Void.self) { group in
                for attempt in 0..<50 {
                    group.addTask { _ = try await client.book(id, quantity: attempt % 3 + 1, token: token) }
                }
                try await group.waitForAll()
            }
            let available = try #require(try await client.available(id))
            let mine = try await client.send(.GET, "/bookings/?limit=1000", token: token)
            let booked = mine.jsonArray.compactMap { $0["purchase_quantity"] as? Int }.reduce(0, +)
            #expect(available >= 0 && available < 1, "nothing left that a 1-unit booking could take: \(available)")
            #expect(available + booked == total)
        }
    }

    @Test("20 concurrent cancels of one booking return its units once", arguments: TestDatabase.allCases)
    func cancelOnce(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let id = try await client.createResource("Locker", total: 4, adminToken: try await client.adminToken())
            let token = try await client.userToken("walter")
            let booking = try await client.book(id, quantity: 3, token: token).booking.id

            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.send(.DELETE, "/bookings/\(booking)/", token: token).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 19, "\(statuses)")
            #expect(try await client.available(id) == 4)
        }
    }

    @Test("concurrent sign-ups for one username create one user", arguments: TestDatabase.allCases)
    func signUpRace(db: TestDatabase) async throws {
        // Ten Bcrypt hashes at once: on a loaded machine the hasher's queue would shed some with a 503,
        // which is not what this race is about.
        try await withBookingApp(db, configure: patientPool) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for attempt in 0..<10 {
                    group.addTask {
                        try await client.send(.POST, "/users/", json: [
                            "username": attempt.isMultiple(of: 2) ? "twin" : "TWIN", "email_address": "twin\(attempt)@example.com",
                            "password": "password123", "confirm_password": "password123",
                        ]).status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .badRequest }.count == 9)
        }
    }
}

@Suite("The shared catalogue read")
struct CatalogueReadTests {
    /// Bookings acknowledged so far.
    actor Acknowledged {
        var count = 0
        func add() { count += 1 }
    }

    @Test("while bookings race, every GET /resources/ shows at least the bookings acknowledged before it was sent",
          arguments: TestDatabase.allCases)
    func readsYourWrites(db: TestDatabase) async throws {
        // 120 bookings from one user within a minute: past USER_WRITES_PER_MINUTE, which is not under test here.
        try await withBookingApp(db, configure: { $0.userWritesPerMinute = 0 }) { client in
            let total = 400
            let id = try await client.createResource("Catalogue seats", total: total, adminToken: try await client.adminToken())
            let token = try await client.userToken("catalogue-reader")
            let acknowledged = Acknowledged()
            let violations = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var found: [String] = []
                        for _ in 0..<15 {
                            if try await client.book(id, quantity: 1, token: token).status == .created { await acknowledged.add() }
                            let known = await acknowledged.count
                            let listed = try await client.send(.GET, "/resources/").json["resources"] as? [[String: Any]] ?? []
                            let available = listed.first { $0["id"] as? Int == id }?["available_quantity"] as? Int ?? -1
                            if available > total - known || available < 0 {
                                found.append("listed \(available) after \(known) acknowledged bookings")
                            }
                        }
                        return found
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(violations.isEmpty, "\(violations.prefix(5))")
            #expect(await acknowledged.count == 120)
        }
    }
}
