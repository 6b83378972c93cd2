import Testing
import Vapor
@testable import BookingApp

@Suite("Login throttling")
struct ThrottleTests {
    func login(_ client: TestClient, _ username: String, _ password: String) async throws -> TestClient.Reply {
        try await client.send(.POST, "/login/", json: ["username": username, "password": password])
    }

    @Test("after 5 failures for a username the next login is 429 with Retry-After; other users are unaffected", arguments: TestDatabase.allCases)
    func perUsername(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("olga")
            try await client.signUp("pete")
            for _ in 0..<5 {
                #expect(try await login(client, "olga", "wrong-password").status == .unauthorized)
            }
            let throttled = try await login(client, "OLGA", "password123")
            #expect(throttled.status == .tooManyRequests, "even the right password waits")
            #expect(throttled.code == "too_many_login_attempts")
            let retryAfter = try #require(throttled.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect((1...900).contains(retryAfter))
            #expect(try await login(client, "pete", "password123").status == .ok)
        }
    }

    @Test("a successful login forgives earlier failures", arguments: TestDatabase.allCases)
    func successResets(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("quincy")
            for _ in 0..<4 { _ = try await login(client, "quincy", "wrong-password") }
            #expect(try await login(client, "quincy", "password123").status == .ok)
            for _ in 0..<4 { _ = try await login(client, "quincy", "wrong-password") }
            #expect(try await login(client, "quincy", "password123").status == .ok)
        }
    }

    @Test("after 20 failures from one address, logins from it are 429", arguments: TestDatabase.allCases)
    func perAddress(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("rita")
            for index in 0..<20 {
                #expect(try await login(client, "guess\(index)", "wrong-password").status == .unauthorized)
            }
            #expect(try await login(client, "rita", "password123").status == .tooManyRequests)
        }
    }

    @Test("failures on one replica count on the others")
    func acrossReplicas() async throws {
        try await withPostgresReplicas(2) { replicas in
            try await replicas[0].signUp("sven")
            for _ in 0..<5 { _ = try await login(replicas[0], "sven", "wrong-password") }
            #expect(try await login(replicas[1], "sven", "password123").status == .tooManyRequests)
        }
    }
}
