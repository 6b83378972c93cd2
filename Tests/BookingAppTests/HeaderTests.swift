import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Request ids, security headers and CORS")
struct HeaderTests {
    @Test("every response carries a request id (the client's when sane) and the security headers")
    func requestIDAndSecurityHeaders() async throws {
        try await withBookingApp(.sqlite) { client in
            let generated = try await client.send(.GET, "/resources/")
            let id = try #require(generated.headers.first(name: .xRequestId))
            #expect(UUID(uuidString: id) != nil)
            #expect(generated.headers.first(name: .xContentTypeOptions) == "nosniff")
            #expect(generated.headers.first(name: "Referrer-Policy") == "no-referrer")
            // The listing may be kept by a cache (which revalidates it by its ETag); an answer for a user may not.
            #expect(generated.headers.first(name: .cacheControl) == "no-cache", "anonymous public answers may be cached")

            let echoed = try await client.send(.GET, "/nowhere/", headers: [("X-Request-ID", "trace-42")])
            #expect(echoed.status == .notFound)
            #expect(echoed.headers.first(name: .xRequestId) == "trace-42", "errors carry it too")
            #expect(echoed.headers.first(name: .xContentTypeOptions) == "nosniff")

            let insane = try await client.send(.GET, "/resources/", headers: [("X-Request-ID", String(repeating: "x", count: 500))])
            #expect(insane.headers.first(name: .xRequestId)?.count == 36, "an overlong id is replaced")

            let token = try await client.userToken("hana")
            let authenticated = try await client.send(.GET, "/bookings/", token: token)
            #expect(authenticated.headers.first(name: .cacheControl) == "no-store")
        }
    }

    @Test("the login answer carries a token, so no cache may keep it")
    func loginNotCached() async throws {
        try await withBookingApp(.sqlite) { client in
            let login = try await client.send(.POST, "/login/", json: ["username": TestAdmin.username, "password": TestAdmin.password])
            #expect(login.status == .ok)
            #expect(login.json["token"] is String)
            #expect(login.headers.first(name: .cacheControl) == "no-store")
        }
    }

    @Test("CORS is off by default")
    func corsOff() async throws {
        try await withBookingApp(.sqlite) { client in
            let reply = try await client.send(.GET, "/resources/", headers: [("Origin", "https://evil.example")])
            #expect(reply.headers.first(name: .accessControlAllowOrigin) == nil)
            #expect(!reply.headers[.vary].contains { $0.contains("Origin") }, "without CORS no answer depends on Origin")
        }
    }

    @Test("CORS_ALLOWED_ORIGINS allows the listed origins only, preflights included")
    func corsConfigured() async throws {
        try await withBookingApp(.sqlite, configure: { $0.corsAllowedOrigins = ["https://app.example.com"] }) { client in
            let allowed = try await client.send(.GET, "/resources/", headers: [("Origin", "https://app.example.com")])
            #expect(allowed.headers.first(name: .accessControlAllowOrigin) == "https://app.example.com")
            let preflight = try await client.send(.OPTIONS, "/bookings/", headers: [
                ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "Authorization, Idempotency-Key"),
            ])
            #expect(preflight.status == .ok)
            #expect(preflight.headers.first(name: .accessControlAllowHeaders)?.lowercased().contains("idempotency-key") == true)
            let other = try await client.send(.GET, "/resources/", headers: [("Origin", "https://evil.example")])
            #expect(other.headers.first(name: .accessControlAllowOrigin) != "https://evil.example")
            // The answer depends on the Origin it echoes: a shared cache must key it by Origin.
            #expect(allowed.headers[.vary].contains { $0.lowercased().contains("origin") })
            #expect(preflight.headers[.vary].contains { $0.lowercased().contains("origin") })
            #expect(other.headers[.vary].contains { $0.lowercased().contains("origin") }, "a refused origin's answer differs too")
        }
    }

    @Test("CORS_ALLOWED_ORIGINS is validated")
    func corsParsing() throws {
        #expect(try AppConfig.fromEnvironment(["CORS_ALLOWED_ORIGINS": "https://a.example, http://b.example:8080"]).corsAllowedOrigins
            == ["https://a.example", "http://b.example:8080"])
        #expect(try AppConfig.fromEnvironment(["CORS_ALLOWED_ORIGINS": "*"]).corsAllowedOrigins == ["*"])
        #expect(throws: ConfigurationError.self) { try AppConfig.fromEnvironment(["CORS_ALLOWED_ORIGINS": "app.example.com"]) }
    }

    @Test("the Authorization header's token is read as before: scheme Token or Bearer in any case, blanks around it trimmed exactly as CharacterSet.whitespaces trims them")
    func authorizationToken() {
        let token = String(repeating: "a", count: 43)
        let blanks = ["", " ", "\t", "\u{00A0}", "\u{2003}", "\u{3000}", " \t\u{2009}", "\u{000B}", "\u{2028}", "\u{0085}"]
        for before in blanks {
            for after in blanks {
                let value = before + token + after
                let expected = value.trimmingCharacters(in: .whitespaces)
                #expect(String(TokenAuth.trimmed(Substring(value))) == expected, "\(value.unicodeScalars.map(\.value))")
                for scheme in ["Token", "bearer", "TOKEN"] {
                    let read = TokenAuth.token(from: "\(scheme) \(value)")
                    #expect(read == ((16...256).contains(expected.utf8.count) ? expected : nil))
                }
            }
        }
        #expect(String(TokenAuth.trimmed(" \t ")) == "")
        #expect(TokenAuth.token(from: "Basic \(token)") == nil && TokenAuth.token(from: token) == nil)
        #expect(TokenAuth.token(from: "Token short") == nil)
    }
}
