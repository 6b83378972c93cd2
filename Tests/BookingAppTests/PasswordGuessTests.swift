import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain

/// Password guesses as an attacker sends them: all at once, from many addresses, on several servers, and
/// against the password-change form with a stolen token (`PasswordGuesses`).
@Suite("Password guesses under attack")
struct PasswordGuessTests {
    static func behindProxy(_ config: inout AppConfig) {
        config.trustedProxies = [IPAddressRange("127.0.0.1")!]
        // Bursts of 200: what is under test is the count of guesses, not when a request is shed.
        patientPool(&config)
    }

    /// A distinct address for each `index`.
    static func address(_ index: Int) -> String { "198.18.\(index / 250).\(index % 250 + 1)" }

    /// Sends `count` logins at once; the statuses, in the order sent.
    func burst(_ count: Int, _ loopback: LoopbackClient, username: String, password: (Int) -> String,
               from address: @escaping @Sendable (Int) -> String) async throws -> [UInt] {
        try await withThrowingTaskGroup(of: (Int, UInt).self) { group in
            for index in 0..<count {
                let guess = password(index)
                group.addTask {
                    (index, try await loopback.send(.POST, "/login/", json: ["username": username, "password": guess],
                                                    from: address(index)).status.code)
                }
            }
            var statuses = [UInt](repeating: 500, count: count)
            for try await (index, status) in group { statuses[index] = status }
            return statuses
        }
    }

    /// After a burst, guesses one at a time (each from `address(i)`) until refused; how many were checked.
    /// Together with the burst's, they are every guess the window allowed.
    func fill(_ loopback: LoopbackClient, username: String, from address: (Int) -> String,
              path: String = "/login/", token: String? = nil) async throws -> Int {
        var checked = 0
        for index in 1000..<1100 {
            let body: [String: Any] = path == "/login/" ? ["username": username, "password": "more-\(index)"]
                                                          : ["old_password": "more-\(index)", "new_password": "new-password-1"]
            let reply = try await loopback.send(.POST, path, json: body, token: token, from: address(index))
            if reply.status.code == 429 { return checked }
            checked += 1
        }
        Issue.record("100 guesses in a row were checked")
        return checked
    }

    @Test("200 guesses at once from 200 addresses: with those after them, exactly 10 are checked in the window, the rest 429",
          arguments: TestDatabase.allCases)
    func burstFromManyAddresses(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: Self.behindProxy, ownEventLoops: true) { client in
            try await client.signUp("victim", password: "the-real-password")
            try await withLoopback(client.app) { loopback in
                let statuses = try await burst(200, loopback, username: "victim",
                                               password: { $0 == 59 ? "the-real-password" : "guess-\($0)" }, from: Self.address)
                let expected = statuses.allSatisfy { $0 == 401 || $0 == 200 || $0 == 429 }
                #expect(expected, "\(statuses)")
                let checked = statuses.filter { $0 == 401 || $0 == 200 }.count
                #expect(checked <= PasswordGuesses.perAccountFromNewAddresses, "\(checked) checked at once")
                // A success would have forgiven its own address only, so the count goes on from the others.
                let after = try await fill(loopback, username: "victim", from: Self.address)
                #expect(checked + after == PasswordGuesses.perAccountFromNewAddresses + (statuses[59] == 200 ? 1 : 0),
                        "\(checked) at once, \(after) after")
            }
        }
    }

    @Test("80 guesses at once from one address: with those after them, exactly 5 are checked", arguments: TestDatabase.allCases)
    func burstFromOneAddress(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: Self.behindProxy, ownEventLoops: true) { client in
            try await client.signUp("target")
            try await withLoopback(client.app) { loopback in
                let statuses = try await burst(80, loopback, username: "target", password: { "guess-\($0)" }, from: { _ in "203.0.113.7" })
                let checked = statuses.filter { $0 == 401 }.count, refused = statuses.filter { $0 == 429 }.count
                #expect(refused == 80 - checked)
                let after = try await fill(loopback, username: "target", from: { _ in "203.0.113.7" })
                #expect(checked + after == PasswordGuesses.perAccountAndAddress, "\(checked) at once, \(after) after")
            }
        }
    }

    @Test("guesses spread over three servers at once share one limit", .requiresPostgres)
    func acrossReplicas() async throws {
        try await withPostgresReplicas(3, configure: Self.behindProxy) { replicas in
            try await replicas[0].signUp("spread")
            try await withLoopback(replicas[0].app) { first in
                try await withLoopback(replicas[1].app) { second in
                    try await withLoopback(replicas[2].app) { third in
                        let servers = [first, second, third]
                        let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                            for index in 0..<90 {
                                group.addTask {
                                    try await servers[index % 3].send(.POST, "/login/", json: ["username": "spread", "password": "guess-\(index)"],
                                                                      from: Self.address(index)).status.code
                                }
                            }
                            return try await group.reduce(into: []) { $0.append($1) }
                        }
                        let checked = statuses.filter { $0 == 401 }.count, refused = statuses.filter { $0 == 429 }.count
                        #expect(refused == 90 - checked)
                        let after = try await fill(third, username: "spread", from: Self.address)
                        #expect(checked + after == PasswordGuesses.perAccountFromNewAddresses, "\(checked) at once, \(after) after")
                    }
                }
            }
        }
    }

    @Test("an attacker elsewhere does not lock the real user out of their usual address; a new address waits", arguments: TestDatabase.allCases)
    func noLockOut(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: Self.behindProxy, clock: clock) { client in
            try await client.signUp("owner", password: "owner-password")
            try await withLoopback(client.app) { loopback in
                let home = "192.0.2.10"
                func login(_ password: String, from address: String) async throws -> LoopbackClient.Reply {
                    try await loopback.send(.POST, "/login/", json: ["username": "owner", "password": password], from: address)
                }
                #expect(try await login("owner-password", from: home).status.code == 200)
                clock.advance(by: 86400)
                // A day later: 60 guesses from 60 addresses, one after another.
                for index in 0..<60 { _ = try await login("guess-\(index)", from: Self.address(index)) }
                #expect(try await login("guess-last", from: Self.address(61)).status.code == 429)
                // The owner, from home, gets in at once, and again after a typo.
                #expect(try await login("owner-password", from: home).status.code == 200)
                #expect(try await login("typo-password", from: home).status.code == 401)
                #expect(try await login("owner-password", from: home).status.code == 200)
                // From an address the account has never logged in from, the owner waits with everyone else.
                let away = try await login("owner-password", from: "192.0.2.99")
                #expect(away.status.code == 429)
                let wait = try #require(away.headers.first(name: .retryAfter).flatMap(Int.init))
                #expect((1...900).contains(wait))
                clock.advance(by: TimeInterval(wait))
                #expect(try await login("owner-password", from: "192.0.2.99").status.code == 200)
            }
        }
    }

    @Test("the old password of a password change is guessed no faster than a login, at once or not, and shares its limit",
          arguments: TestDatabase.allCases)
    func passwordChange(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: Self.behindProxy, ownEventLoops: true) { client in
            try await client.signUp("stolen", password: "stolen-password")
            let token = try await client.login("stolen", password: "stolen-password")
            try await withLoopback(client.app) { loopback in
                let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                    for index in 0..<40 {
                        group.addTask {
                            try await loopback.send(.POST, "/users/me/password", json: ["old_password": "guess-\(index)", "new_password": "new-password-1"],
                                                    token: token, from: "203.0.113.66").status.code
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let checked = statuses.filter { $0 == 400 }.count
                let refused = statuses.filter { $0 == 429 }.count
                #expect(refused == 40 - checked)
                let after = try await fill(loopback, username: "stolen", from: { _ in "203.0.113.66" }, path: "/users/me/password", token: token)
                #expect(checked + after == PasswordGuesses.perAccountAndAddress, "\(checked) at once, \(after) after")
                // The same account's login from that address is spent too.
                let login = try await loopback.send(.POST, "/login/", json: ["username": "stolen", "password": "stolen-password"], from: "203.0.113.66")
                #expect(login.status.code == 429)
                #expect(login.code == "too_many_login_attempts")
            }
        }
    }
}
