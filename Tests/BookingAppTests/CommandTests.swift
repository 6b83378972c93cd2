import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// The operator commands' work, run through the same services the commands use.
@Suite("Operator commands")
struct CommandTests {
    @Test("create-user --admin makes an admin; set-password resets and revokes tokens", arguments: TestDatabase.allCases)
    func usersFromTheCommandLine(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let operators = client.app.domain
            let created = try await operators.accounts.create(.init(
                username: "opal", email: "opal@example.com", password: "first-password", confirmPassword: "first-password", isAdmin: true), by: .system)
            #expect(created.isAdmin)
            let token = try await client.login("opal", password: "first-password")
            #expect(try await client.send(.POST, "/resources/", token: token, json: ["name": "Kiosk", "total_quantity": 1]).status == .created)

            _ = try await operators.accounts.resetPassword(username: "OPAL", to: "second-password")
            #expect(try await client.send(.GET, "/users/me/", token: token).status == .unauthorized)
            _ = try await client.login("opal", password: "second-password")
            await #expect(throws: AppError.userNotFound) { try await operators.accounts.resetPassword(username: "nobody", to: "whatever-pass") }
            await #expect(throws: AppError.self) { try await operators.accounts.resetPassword(username: "opal", to: "short") }
        }
    }

    @Test("seed-demo adds its resources once; stats counts bookings per resource", arguments: TestDatabase.allCases)
    func demoAndStats(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let operators = client.app.domain
            for resource in SeedDemoCommand.resources {
                _ = try await operators.resources.create(.init(name: resource.name, description: resource.description,
                                                               totalQuantity: resource.total, availableQuantity: nil), by: .system)
            }
            await #expect(throws: AppError.resourceNameTaken) {
                try await operators.resources.create(.init(name: "Projector", description: nil, totalQuantity: 1, availableQuantity: nil), by: .system)
            }
            let token = try await client.userToken("paula")
            let listed = try await client.send(.GET, "/resources/").json["resources"] as? [[String: Any]] ?? []
            let projector = try #require(listed.first { $0["name"] as? String == "Projector" }?["id"] as? Int)
            let booking = try await client.book(projector, quantity: 2, token: token).booking.id
            _ = try await client.book(projector, quantity: 1, token: token)
            _ = try await client.send(.DELETE, "/bookings/\(booking)/", token: token)

            let report = try await operators.resources.stockReport()
            #expect(report.count == SeedDemoCommand.resources.count)
            let line = try #require(report.first { $0.resource.id == projector })
            #expect(line.activeBookings == 1)
            #expect(line.activeUnits == 1)
            #expect(line.cancelledBookings == 1)
            #expect(line.resource.stock.available == 2)
        }
    }
}
