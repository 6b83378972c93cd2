import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

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

    @Test("the throttles' windows slide with the clock: Retry-After says when, and then it is open again", arguments: TestDatabase.allCases)
    func windowsReopen(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { $0.signupsPerHour = 1 }, clock: clock) { client in
            try await client.signUp("tess")
            for _ in 0..<5 { _ = try await login(client, "tess", "wrong-password") }
            let throttled = try await login(client, "tess", "password123")
            #expect(throttled.headers.first(name: .retryAfter) == "900")
            clock.advance(by: 899)
            #expect(try await login(client, "tess", "password123").headers.first(name: .retryAfter) == "1")
            clock.advance(by: 1)
            #expect(try await login(client, "tess", "password123").status == .ok)

            let refused = try await signUp(client, "late-signup")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers.first(name: .retryAfter) == "2700", "an hour after tess signed up")
            // The refused attempt is recorded too (recording before counting is what holds the limit under
            // concurrency), so the window is open again an hour after it.
            clock.advance(by: 3600)
            #expect(try await signUp(client, "late-signup").status == .created)
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

    @Test("failures on one replica count on the others", .requiresPostgres)
    func acrossReplicas() async throws {
        try await withPostgresReplicas(2) { replicas in
            try await replicas[0].signUp("sven")
            for _ in 0..<5 { _ = try await login(replicas[0], "sven", "wrong-password") }
            #expect(try await login(replicas[1], "sven", "password123").status == .tooManyRequests)
        }
    }

    func signUp(_ client: TestClient, _ username: String, token: String? = nil, from address: String? = nil) async throws -> TestClient.Reply {
        try await client.send(.POST, "/users/", token: token, json: [
            "username": username, "email_address": "\(username)@example.com",
            "password": "password123", "confirm_password": "password123",
        ], headers: address.map { [("X-Forwarded-For", $0)] } ?? [])
    }

    @Test("past SIGNUPS_PER_HOUR sign-ups from one address the next is 429 with Retry-After; an admin's are not limited",
          arguments: TestDatabase.allCases)
    func signUpLimit(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: { $0.signupsPerHour = 3 }) { client in
            for index in 0..<3 { #expect(try await signUp(client, "early\(index)").status == .created) }
            let refused = try await signUp(client, "late")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.code == "too_many_signups")
            let retryAfter = try #require(refused.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect((1...3600).contains(retryAfter))
            let admin = try await client.adminToken()
            #expect(try await signUp(client, "by-admin", token: admin).status == .created)
            let users = try await client.send(.GET, "/users/?limit=1000", token: admin).jsonArray.compactMap { $0["username"] as? String }
            #expect(!users.contains("late"), "a refused sign-up creates nothing")
        }
    }

    @Test("concurrent sign-ups from one address never get past the limit")
    func signUpLimitUnderConcurrency() async throws {
        try await withBookingApp(.sqlite, configure: { $0.signupsPerHour = 3 }) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for index in 0..<12 { group.addTask { try await signUp(client, "rush\(index)").status } }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            let created = statuses.filter { $0 == .created }.count
            #expect((1...3).contains(created), "\(statuses)")
            #expect(statuses.allSatisfy { $0 == .created || $0 == .tooManyRequests })
        }
    }

    @Test("the sign-up limit counts each client behind a trusted proxy apart; SIGNUPS_PER_HOUR=0 turns it off")
    func signUpLimitPerClient() async throws {
        try await withBookingApp(.sqlite, configure: {
            $0.signupsPerHour = 2
            $0.trustedProxies = [IPAddressRange("127.0.0.1")!]
        }) { client async throws in
            var client = client
            client.transport = .running(hostname: "127.0.0.1", port: 0)
            for index in 0..<2 { #expect(try await signUp(client, "alpha\(index)", from: "203.0.113.1").status == .created) }
            #expect(try await signUp(client, "alpha2", from: "203.0.113.1").status == .tooManyRequests)
            #expect(try await signUp(client, "bravo0", from: "203.0.113.2").status == .created)
        }
        try await withBookingApp(.sqlite, configure: { $0.signupsPerHour = 0 }) { client async throws in
            for index in 0..<25 { #expect(try await signUp(client, "free\(index)").status == .created) }
        }
        #expect(try AppConfig.fromEnvironment([:]).signupsPerHour == 20)
        #expect(try AppConfig.fromEnvironment(["SIGNUPS_PER_HOUR": "0"]).signupsPerHour == 0)
        #expect(throws: ConfigurationError.self) { try AppConfig.fromEnvironment(["SIGNUPS_PER_HOUR": "-1"]) }
    }
}
