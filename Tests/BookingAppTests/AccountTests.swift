import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Accounts an operator can run")
struct AccountTests {
    @Test("GET /users/me/ is the caller", arguments: TestDatabase.allCases)
    func me(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let token = try await client.userToken("iris")
            let me = try await client.send(.GET, "/users/me/", token: token)
            #expect(me.status == .ok)
            #expect(me.json["username"] as? String == "iris")
            #expect(try await client.send(.GET, "/users/me/").status == .unauthorized)
        }
    }

    @Test("GET /users/{id}/: an admin reads anyone; anyone else only themself, another id being 404", arguments: TestDatabase.allCases)
    func oneUser(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let wendy = try await client.signUp("wendy")
            let xavier = try await client.signUp("xavier")
            let wendyID = wendy.id, xavierID = xavier.id
            let token = try await client.login("wendy")

            let own = try await client.send(.GET, "/users/\(wendyID)/", token: token)
            #expect(own.status == .ok && own.json["username"] as? String == "wendy")
            #expect(own.json["password_hash"] == nil && own.json["password"] == nil)
            #expect(try await client.send(.GET, "/users/\(xavierID)/", token: token).status == .notFound)
            #expect(try await client.send(.GET, "/users/999999/", token: token).status == .notFound)
            let byAdmin = try await client.send(.GET, "/users/\(xavierID)/", token: admin)
            #expect(byAdmin.status == .ok && byAdmin.json["username"] as? String == "xavier")
            #expect(try await client.send(.GET, "/users/999999/", token: admin).status == .notFound)
            #expect(try await client.send(.GET, "/users/abc/", token: admin).status == .notFound)
            #expect(try await client.send(.GET, "/users/\(wendyID)/").status == .unauthorized)
        }
    }

    @Test("changing the password needs the old one and revokes every other session", arguments: TestDatabase.allCases)
    func changePassword(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("jack")
            let current = try await client.login("jack"), other = try await client.login("jack")

            let wrong = try await client.send(.POST, "/users/me/password", token: current,
                                              json: ["old_password": "not-my-password", "new_password": "brand-new-pass"])
            #expect(wrong.status == .badRequest)
            #expect(wrong.field == "old_password")
            let short = try await client.send(.POST, "/users/me/password", token: current,
                                              json: ["old_password": "password123", "new_password": "short"])
            #expect(short.field == "new_password")
            #expect(try await client.send(.GET, "/users/me/", token: other).status == .ok, "refusals changed nothing")

            let changed = try await client.send(.POST, "/users/me/password", token: current,
                                                json: ["old_password": "password123", "new_password": "brand-new-pass"])
            #expect(changed.status == .noContent)
            #expect(try await client.send(.GET, "/users/me/", token: current).status == .ok)
            #expect(try await client.send(.GET, "/users/me/", token: other).status == .unauthorized)
            #expect(try await client.send(.POST, "/login/", json: ["username": "jack", "password": "password123"]).status == .unauthorized)
            _ = try await client.login("jack", password: "brand-new-pass")
        }
    }

    @Test("an admin deactivates a user: their tokens stop at once and they cannot log in", arguments: TestDatabase.allCases)
    func deactivate(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let kate = try await client.userToken("kate")
            let kateID = try #require(try await client.send(.GET, "/users/me/", token: kate).json["id"] as? Int)

            #expect(try await client.send(.PATCH, "/users/\(kateID)/", token: kate, json: ["is_admin": true]).status == .forbidden)
            let off = try await client.send(.PATCH, "/users/\(kateID)/", token: admin, json: ["is_active": false])
            #expect(off.status == .ok)
            #expect(off.json["is_active"] as? Bool == false)
            #expect(try await client.send(.GET, "/users/me/", token: kate).status == .unauthorized)
            #expect(try await client.send(.POST, "/login/", json: ["username": "kate", "password": "password123"]).status == .unauthorized)

            #expect(try await client.send(.PATCH, "/users/\(kateID)/", token: admin, json: ["is_active": true]).status == .ok)
            _ = try await client.login("kate")
            #expect(try await client.send(.PATCH, "/users/999999/", token: admin, json: ["is_active": false]).status == .notFound)
            #expect(try await client.send(.PATCH, "/users/\(kateID)/", token: admin, json: ["is_active": "no"]).status == .badRequest)
        }
    }

    @Test("the last active admin cannot be demoted or deactivated; with a second admin it can", arguments: TestDatabase.allCases)
    func lastAdmin(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let rootID = try #require(try await client.send(.GET, "/users/me/", token: admin).json["id"] as? Int)
            for body in [["is_admin": false], ["is_active": false]] {
                let refused = try await client.send(.PATCH, "/users/\(rootID)/", token: admin, json: body)
                #expect(refused.status == .conflict, "\(body)")
                #expect(refused.code == "last_active_admin")
            }
            #expect(try await client.send(.GET, "/users/me/", token: admin).json["is_admin"] as? Bool == true)

            let leo = try await client.userToken("leo")
            let leoID = try #require(try await client.send(.GET, "/users/me/", token: leo).json["id"] as? Int)
            #expect(try await client.send(.PATCH, "/users/\(leoID)/", token: admin, json: ["is_admin": true]).json["is_admin"] as? Bool == true)
            #expect(try await client.send(.PATCH, "/users/\(rootID)/", token: leo, json: ["is_admin": false]).status == .ok)
            #expect(try await client.send(.POST, "/resources/", token: admin, json: ["name": "x", "total_quantity": 1]).status == .forbidden)
        }
    }

    @Test("two admins demoting each other at once leave one admin", arguments: TestDatabase.allCases)
    func mutualDemotion(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let rootID = try #require(try await client.send(.GET, "/users/me/", token: admin).json["id"] as? Int)
            let mia = try await client.userToken("mia")
            let miaID = try #require(try await client.send(.GET, "/users/me/", token: mia).json["id"] as? Int)
            #expect(try await client.send(.PATCH, "/users/\(miaID)/", token: admin, json: ["is_admin": true]).status == .ok)

            async let first = client.send(.PATCH, "/users/\(miaID)/", token: admin, json: ["is_admin": false])
            async let second = client.send(.PATCH, "/users/\(rootID)/", token: mia, json: ["is_admin": false])
            let statuses = [try await first.status, try await second.status]
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            let users = try await client.send(.GET, "/users/?limit=1000", token: statuses[0] == .ok ? admin : mia)
            #expect(users.jsonArray.filter { $0["is_admin"] as? Bool == true }.count == 1)
        }
    }

    @Test("admins search and page through users", arguments: TestDatabase.allCases)
    func search(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            for name in ["nora", "noah", "oliver"] { try await client.signUp(name) }
            let found = try await client.send(.GET, "/users/?search=NO", token: admin)
            #expect(found.jsonArray.compactMap { $0["username"] as? String } == ["nora", "noah"])
            let byEmail = try await client.send(.GET, "/users/?search=oliver@example", token: admin)
            #expect(byEmail.jsonArray.compactMap { $0["username"] as? String } == ["oliver"])
            let wildcard = try await client.send(.GET, "/users/?search=%25", token: admin)
            #expect(wildcard.jsonArray.isEmpty, "% is matched literally")
            let page = try await client.send(.GET, "/users/?limit=2&offset=1", token: admin)
            #expect(page.jsonArray.compactMap { $0["username"] as? String } == ["nora", "noah"])
            #expect(try await client.send(.GET, "/users/?limit=0", token: admin).status == .badRequest)
        }
    }
}
