import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Login, tokens and logout")
struct SessionTests {
    @Test("login returns a token, its expiry and the user; the username is matched case-insensitively", arguments: TestDatabase.allCases)
    func login(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("Heidi")
            let reply = try await client.send(.POST, "/login/", json: ["username": "heidi", "password": "password123"])
            #expect(reply.status == .ok)
            let token = try #require(reply.json["token"] as? String)
            #expect(token.count >= 43, "at least 256 bits")
            let expiry = try #require(reply.json["expires_at"] as? String)
            let expiresAt = try Date(expiry, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
            #expect(abs(expiresAt.timeIntervalSinceNow - 7 * 86400) < 120, "default TTL is seven days")
            #expect((reply.json["user"] as? [String: Any])?["username"] as? String == "Heidi")

            for scheme in ["Token", "Bearer", "token", "BEARER"] {
                let me = try await client.send(.GET, "/users/", headers: [("Authorization", "\(scheme) \(token)")])
                #expect(me.status == .ok, "\(scheme)")
            }
        }
    }

    @Test("a wrong username and a wrong password get the same 401", arguments: TestDatabase.allCases)
    func wrongCredentials(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("ivan")
            let wrongPassword = try await client.send(.POST, "/login/", json: ["username": "ivan", "password": "wrong-password"])
            let wrongUser = try await client.send(.POST, "/login/", json: ["username": "nobody", "password": "wrong-password"])
            #expect(wrongPassword.status == .unauthorized)
            #expect(wrongUser.status == .unauthorized)
            #expect(wrongPassword.text == wrongUser.text)
            #expect(wrongPassword.code == "invalid_credentials")

            let missing = try await client.send(.POST, "/login/", json: ["username": "ivan"])
            #expect(missing.status == .badRequest)
        }
    }

    @Test("logout revokes only the token presented", arguments: TestDatabase.allCases)
    func logout(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("judy")
            let first = try await client.login("judy")
            let second = try await client.login("judy")
            #expect(first != second)

            let out = try await client.send(.POST, "/logout/", token: first)
            #expect(out.status == .noContent)
            #expect(try await client.send(.GET, "/users/", token: first).status == .unauthorized)
            #expect(try await client.send(.GET, "/users/", token: second).status == .ok)
            #expect(try await client.send(.POST, "/logout/").status == .unauthorized)
        }
    }

    @Test("a token presented but invalid is 401 even where no token is needed", arguments: TestDatabase.allCases)
    func invalidTokenEverywhere(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            for header in ["Token not-a-real-token-at-all-000000000000", "Bearer x", "Basic dXNlcjpwYXNz", "Token", "garbage"] {
                let reply = try await client.send(.GET, "/resources/", headers: [("Authorization", header)])
                #expect(reply.status == .unauthorized, "\(header)")
                #expect(reply.code == "invalid_token")
                #expect(reply.headers.first(name: .wwwAuthenticate) == "Token")
            }
            #expect(try await client.send(.GET, "/resources/").status == .ok)
        }
    }

    @Test("a token works until its expiry and is refused from then on", arguments: TestDatabase.allCases)
    func expiry(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { $0.tokenTTL = 3600 }, clock: clock) { client in
            let token = try await client.userToken("ken")
            clock.advance(by: 3599)
            #expect(try await client.send(.GET, "/users/", token: token).status == .ok)
            clock.advance(by: 1)
            let reply = try await client.send(.GET, "/users/", token: token)
            #expect(reply.status == .unauthorized)
            #expect(reply.code == "invalid_token")
        }
    }

    @Test("tokens are stored only as hashes", arguments: TestDatabase.allCases)
    func tokensHashed(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let token = try await client.userToken("leo")
            let sql = client.app.db as! any SQLDatabase
            let rows = try await sql.raw("SELECT token_hash FROM access_tokens").all()
            let stored = try rows.map { try $0.decode(column: "token_hash", as: String.self) }
            #expect(stored.contains(SessionService.hash(token: token)))
            #expect(!stored.contains(token))
        }
    }
}
