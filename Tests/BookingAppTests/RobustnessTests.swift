import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("A client's mistakes get a clear 4xx and change nothing")
struct RobustnessTests {
    @Test("malformed and odd bodies", arguments: TestDatabase.allCases)
    func malformedBodies(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let bodies = ["", "{", "not json", "[]", "null", "42", #"{"name": "x", "total_quantity": 1"#, "\u{0}"]
            for body in bodies {
                let reply = try await client.send(.POST, "/resources/", token: admin, rawBody: body,
                                                  headers: [("Content-Type", "application/json")])
                #expect(reply.status == .badRequest, "\(body.debugDescription): \(reply.text)")
                #expect(reply.json["error"] as? Bool == true)
                #expect(reply.code != nil)
            }
            #expect((try await client.send(.GET, "/resources/").json["resources"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test("unknown fields are ignored and any content type is read as JSON", arguments: TestDatabase.allCases)
    func lenientReading(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let reply = try await client.send(.POST, "/resources/", token: admin,
                                              rawBody: #"{"name": "Sled", "total_quantity": 2, "colour": "red"}"#,
                                              headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(reply.status == .created, "\(reply.text)")
        }
    }

    @Test("control characters in a description are refused; line breaks are fine", arguments: TestDatabase.allCases)
    func descriptionCharacters(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let bad = try await client.send(.POST, "/resources/", token: admin,
                                            json: ["name": "Bell", "total_quantity": 1, "description": "ding\u{0}dong"])
            #expect(bad.status == .badRequest)
            #expect(bad.field == "description")
            let good = try await client.send(.POST, "/resources/", token: admin,
                                             json: ["name": "Bell", "total_quantity": 1, "description": "ding\ndong ✓"])
            #expect(good.status == .created)
            #expect(good.json["description"] as? String == "ding\ndong ✓")
        }
    }

    @Test("every path works with and without its trailing slash; unknown paths are JSON 404s", arguments: TestDatabase.allCases)
    func paths(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let token = try await client.userToken("yvonne")
            for path in ["/resources", "/resources/", "/users", "/users/", "/bookings", "/bookings/"] {
                #expect(try await client.send(.GET, path, token: token).status == .ok, "\(path)")
            }
            let missing = try await client.send(.GET, "/nowhere/")
            #expect(missing.status == .notFound)
            #expect(missing.code == "not_found")
            #expect(missing.headers.contentType == .json)
        }
    }
}
