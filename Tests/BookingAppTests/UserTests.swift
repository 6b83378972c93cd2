import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Sign-up and user listing")
struct UserTests {
    @Test("sign-up answers 201 with the user and never a password or hash", arguments: TestDatabase.allCases)
    func signUpReturnsPublicFields(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let reply = try await client.send(.POST, "/users/", json: [
                "username": "Alice", "email_address": "alice@example.com",
                "password": "password123", "confirm_password": "password123",
            ])
            #expect(reply.status == .created)
            let user = reply.json
            #expect(user["username"] as? String == "Alice")
            #expect(user["email"] as? String == "alice@example.com")
            #expect(user["is_admin"] as? Bool == false)
            #expect(user["id"] is Int)
            #expect((user["created_at"] as? String)?.hasSuffix("Z") == true)
            #expect(Set(user.keys) == ["id", "username", "email", "is_admin", "is_active", "created_at", "notifications"])
            #expect(user["notifications"] as? [String: Bool] == ["booking": true, "offer": true, "hold_reminder": true, "booking_reminder": true, "security": true])
            #expect(user["is_active"] as? Bool == true)
            #expect(!reply.text.contains("password123"))
            #expect(!reply.text.contains("$2b$"))
        }
    }

    @Test("`email` is accepted in place of `email_address`", arguments: TestDatabase.allCases)
    func emailAlias(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let reply = try await client.send(.POST, "/users/", json: [
                "username": "bob", "email": "bob@example.com", "password": "password123", "confirm_password": "password123",
            ])
            #expect(reply.status == .created)
            #expect(reply.json["email"] as? String == "bob@example.com")
        }
    }

    @Test("invalid sign-ups get 400 naming the problem and create nothing", arguments: TestDatabase.allCases)
    func invalidSignUps(db: TestDatabase) async throws {
        let valid: [String: Any] = [
            "username": "carol", "email_address": "carol@example.com", "password": "password123", "confirm_password": "password123",
        ]
        func with(_ key: String, _ value: Any?) -> [String: Any] {
            var body = valid
            body[key] = value
            return body
        }
        let cases: [(body: [String: Any], code: String, field: String?)] = [
            (with("username", nil), "invalid_field", "username"),
            (with("username", ""), "invalid_field", "username"),
            (with("username", "ab"), "invalid_field", "username"),
            (with("username", String(repeating: "a", count: 151)), "invalid_field", "username"),
            (with("username", "has space"), "invalid_field", "username"),
            (with("username", "émile"), "invalid_field", "username"),
            (with("username", "nul\u{0}byte"), "invalid_field", "username"),
            (with("username", 42), "invalid_field", "username"),
            (with("email_address", nil), "invalid_field", "email_address"),
            (with("email_address", "not-an-email"), "invalid_field", "email_address"),
            (with("email_address", "a@b"), "invalid_field", "email_address"),
            (with("email_address", String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 190) + ".com"), "invalid_field", "email_address"),
            (with("password", "short"), "invalid_field", "password"),
            (with("password", String(repeating: "p", count: 73)), "invalid_field", "password"),
            (with("confirm_password", nil), "invalid_field", "confirm_password"),
            (with("confirm_password", "password124"), "password_mismatch", nil),
        ]
        try await withBookingApp(db) { client in
            for (body, code, field) in cases {
                let reply = try await client.send(.POST, "/users/", json: body)
                #expect(reply.status == .badRequest, "\(body): \(reply.text)")
                #expect(reply.code == code, "\(body): \(reply.text)")
                #expect(reply.field == field, "\(body): \(reply.text)")
                #expect(reply.json["error"] as? Bool == true)
            }
            let users = try await client.send(.GET, "/users/", token: try await client.adminToken())
            #expect(users.jsonArray.count == 1, "only the admin exists")
        }
    }

    @Test("usernames and e-mails are unique regardless of case", arguments: TestDatabase.allCases)
    func uniqueness(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("dave", email: "dave@example.com")
            let sameName = try await client.send(.POST, "/users/", json: [
                "username": "DAVE", "email_address": "other@example.com", "password": "password123", "confirm_password": "password123",
            ])
            #expect(sameName.status == .badRequest)
            #expect(sameName.code == "username_taken")
            let sameEmail = try await client.send(.POST, "/users/", json: [
                "username": "dave2", "email_address": "Dave@Example.com", "password": "password123", "confirm_password": "password123",
            ])
            #expect(sameEmail.status == .badRequest)
            #expect(sameEmail.code == "email_taken")
        }
    }

    @Test("is_admin is ignored from anyone but an admin", arguments: TestDatabase.allCases)
    func adminFlag(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let body: (String) -> [String: Any] = { name in [
                "username": name, "email_address": "\(name)@example.com",
                "password": "password123", "confirm_password": "password123", "is_admin": true,
            ] }
            let anonymous = try await client.send(.POST, "/users/", json: body("eve"))
            #expect(anonymous.status == .created)
            #expect(anonymous.json["is_admin"] as? Bool == false)

            let eve = try await client.login("eve")
            let byUser = try await client.send(.POST, "/users/", token: eve, json: body("mallory"))
            #expect(byUser.json["is_admin"] as? Bool == false)

            let byAdmin = try await client.send(.POST, "/users/", token: try await client.adminToken(), json: body("trent"))
            #expect(byAdmin.status == .created)
            #expect(byAdmin.json["is_admin"] as? Bool == true)
        }
    }

    @Test("GET /users/ shows an admin everyone, anyone else only themself", arguments: TestDatabase.allCases)
    func listing(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let frank = try await client.userToken("frank")
            try await client.signUp("grace")

            let own = try await client.send(.GET, "/users/", token: frank)
            #expect(own.status == .ok)
            #expect(own.jsonArray.compactMap { $0["username"] as? String } == ["frank"])

            let all = try await client.send(.GET, "/users", token: try await client.adminToken())
            #expect(all.jsonArray.compactMap { $0["username"] as? String } == [TestAdmin.username, "frank", "grace"])

            let anonymous = try await client.send(.GET, "/users/")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.code == "authentication_required")
        }
    }

    @Test("kinds of e-mail turned off at the same moment by separate requests all stay off", arguments: TestDatabase.allCases)
    func concurrentMailPreferences(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool) { client in
            let token = try await client.userToken("busy")
            let kinds = ["booking", "offer", "hold_reminder", "booking_reminder"]
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for kind in kinds {
                    group.addTask { try await client.send(.PATCH, "/users/me/", token: token, json: ["notifications": [kind: false]]).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(try await client.send(.GET, "/users/me/", token: token).user.notifications
                    == ["booking": false, "offer": false, "hold_reminder": false, "booking_reminder": false, "security": true])
        }
    }
}

