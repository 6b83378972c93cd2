import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Client addresses behind proxies")
struct ClientAddressTests {
    static let loopback = [IPAddressRange("127.0.0.1")!]

    @Test("without trusted proxies X-Forwarded-For is ignored: the peer is the client")
    func untrusted() {
        #expect(ClientAddress.resolve(peer: "198.51.100.9", forwardedFor: ["203.0.113.5"], trusted: []) == "198.51.100.9")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["203.0.113.5"], trusted: []) == "127.0.0.1")
        // A trusted range that does not hold the peer changes nothing either.
        #expect(ClientAddress.resolve(peer: "198.51.100.9", forwardedFor: ["203.0.113.5"], trusted: Self.loopback) == "198.51.100.9")
        #expect(ClientAddress.resolve(peer: nil, forwardedFor: ["203.0.113.5"], trusted: Self.loopback) == nil)
    }

    @Test("through trusted proxies the nearest untrusted hop is the client; what a client prepends is ignored")
    func trusted() {
        let proxies = [IPAddressRange("127.0.0.1")!, IPAddressRange("10.0.0.0/8")!]
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["203.0.113.5"], trusted: proxies) == "203.0.113.5")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["1.2.3.4, 203.0.113.5"], trusted: proxies) == "203.0.113.5",
                "the client's own 1.2.3.4 is to the left of the address our proxy saw")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["198.51.100.7, 10.1.2.3"], trusted: proxies) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["198.51.100.7", "10.1.2.3"], trusted: proxies) == "198.51.100.7",
                "several header lines read as one list")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["not-an-address"], trusted: proxies) == "127.0.0.1")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: [], trusted: proxies) == "127.0.0.1")
    }

    @Test("address ranges: IPv4, IPv6, CIDR prefixes and IPv4-mapped IPv6")
    func ranges() throws {
        let block = try #require(IPAddressRange("10.0.0.0/8"))
        #expect(block.contains("10.255.1.2") && !block.contains("11.0.0.1"))
        let odd = try #require(IPAddressRange("192.168.0.0/23"))
        #expect(odd.contains("192.168.1.200") && !odd.contains("192.168.2.1"))
        #expect(try #require(IPAddressRange("127.0.0.0/8")).contains("::ffff:127.0.0.5"))
        let v6 = try #require(IPAddressRange("fd00::/8"))
        #expect(v6.contains("fd12:3456::1") && !v6.contains("fe80::1") && !v6.contains("10.0.0.1"))
        #expect(try #require(IPAddressRange("::1")).contains("::1"))
        #expect(try #require(IPAddressRange("0.0.0.0/0")).contains("8.8.8.8"))
        for bad in ["300.1.1.1", "10.0.0.0/33", "::1/129", "10.0.0.0/", "example.com", "", "10.0.0.0/8/8"] {
            #expect(IPAddressRange(bad) == nil, "\(bad)")
        }
    }

    @Test("TRUSTED_PROXIES takes a comma-separated list and refuses anything else")
    func configuration() throws {
        let config = try AppConfig.fromEnvironment(["TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"])
        #expect(config.trustedProxies.map(\.description) == ["127.0.0.1", "10.0.0.0/8", "::1"])
        #expect(try AppConfig.fromEnvironment([:]).trustedProxies.isEmpty)
        for bad in ["localhost", "10.0.0.0/40", "127.0.0.1,nginx", ","] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try AppConfig.fromEnvironment(["TRUSTED_PROXIES": bad]) }
        }
    }

    func failLogins(_ client: TestClient, count: Int, forwardedFor: (Int) -> String) async throws {
        for index in 0..<count {
            let reply = try await client.send(.POST, "/login/", json: ["username": "guess\(index)", "password": "wrong-password"],
                                              headers: [("X-Forwarded-For", forwardedFor(index))])
            #expect(reply.status == .unauthorized)
        }
    }

    func login(_ client: TestClient, from address: String) async throws -> HTTPStatus {
        try await client.send(.POST, "/login/", json: ["username": "uma", "password": "password123"],
                              headers: [("X-Forwarded-For", address)]).status
    }

    @Test("behind a trusted proxy, login throttling counts each client apart, over a real connection")
    func throttlingBehindProxy() async throws {
        try await withBookingApp(.sqlite, configure: { $0.trustedProxies = Self.loopback }) { client in
            var client = client
            client.transport = .running(hostname: "127.0.0.1", port: 0)
            try await client.signUp("uma")
            try await failLogins(client, count: 20) { _ in "203.0.113.5" }
            #expect(try await login(client, from: "203.0.113.5") == .tooManyRequests)
            #expect(try await login(client, from: "203.0.113.6") == .ok, "another client behind the same proxy is not locked out")
        }
    }

    @Test("from an untrusted peer a forged X-Forwarded-For does not escape throttling, over a real connection")
    func forgedHeader() async throws {
        try await withBookingApp(.sqlite) { client in
            var client = client
            client.transport = .running(hostname: "127.0.0.1", port: 0)
            try await client.signUp("uma")
            try await failLogins(client, count: 20) { "198.51.100.\($0)" }
            #expect(try await login(client, from: "198.51.100.200") == .tooManyRequests)
        }
    }
}
