import Foundation
import Testing
import Vapor
@testable import BookingApp

/// Who may call each route is declared where the route is registered; these tests hold every registered
/// route to the contract, so a route cannot be added without saying who may call it.
@Suite("Access declared at the routes")
struct RouteAccessTests {
    /// The access level an operation's `security` states: `[{}]` alone (or with the metrics token) is
    /// operational; `{}` beside the token schemes is anyone; the token schemes alone are a user, and with
    /// the role `admin` an admin.
    static func documentedAccess(_ security: [[String: [String]]]) -> Access? {
        let anonymous = security.contains { $0.isEmpty }
        let token = security.filter { $0.keys.contains("TokenAuth") || $0.keys.contains("BearerAuth") }
        guard !token.isEmpty else { return anonymous ? .operational : nil }
        let roles = Set(token.flatMap { $0.values.flatMap { $0 } })
        switch (anonymous, roles) {
        case (true, []): return .anyone
        case (false, []): return .user
        case (false, ["admin"]): return .admin
        default: return nil
        }
    }

    @Test("every route has an access level, and it is the one its operation's security states")
    func routesMatchTheDocument() async throws {
        try await withBookingApp(.sqlite) { client in
            let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: try await client.send(.GET, "/openapi.json").body)) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented: [String: Access] = [:]
            for (path, operations) in paths {
                let normalized = path.split(separator: "/").map { $0.hasPrefix("{") ? ":" : String($0) }.joined(separator: "/")
                for (method, operation) in operations {
                    let security = try #require((operation as? [String: Any])?["security"] as? [[String: [String]]],
                                                "\(method.uppercased()) \(path) states its security")
                    documented["\(method.uppercased()) \(normalized)"] = Self.documentedAccess(security)
                }
            }
            let routes = client.app.routes.all
            #expect(routes.count >= 20)
            for route in routes {
                let signature = client.app.signature(of: route)
                let access = try #require(route.access, "\(signature) was registered without an access level")
                if route.isWebPage {
                    // The pages are not the API: WebPageTests hold them to their levels.
                    #expect(access.isPage || signature == "GET assets/:", "\(signature) is a page or an asset")
                } else if signature == "GET openapi.json" {
                    #expect(access == .operational, "\(signature): the contract itself is for everyone")
                } else {
                    #expect(documented[signature] == access, "\(signature) is \(access) in code, \(String(describing: documented[signature])) in openapi.json")
                }
            }
        }
    }

    @Test("each level holds: no token is 401 on user and admin routes, a user's is 403 on admin routes, operational routes never read it")
    func levelsAreEnforced() async throws {
        try await withBookingApp(.sqlite) { client in
            try await client.signUp("gatekeeper")
            let stale = "Token no-such-token-000000000000000000000"
            for route in client.app.routes.all {
                let path = "/" + route.path.map { component -> String in
                    if case .parameter = component { return "1" }
                    return component.description
                }.joined(separator: "/")
                let anonymous = try await client.send(route.method, path)
                // A token of its own for each route: the walk includes logout.
                let user = try await client.login("gatekeeper")
                let asUser = try await client.send(route.method, path, token: user)
                let withStaleToken = try await client.send(route.method, path, headers: [("Authorization", stale)])
                switch try #require(route.access) {
                case .page:
                    // A token is no session: a page ignores it, and never answers JSON.
                    #expect(withStaleToken.headers.contentType?.subType != "json", "\(route.method) \(path)")
                case .pageUser, .pageAdmin:
                    #expect(anonymous.status == .seeOther, "\(route.method) \(path): \(anonymous.status)")
                    #expect(anonymous.headers.first(name: .location)?.hasPrefix("/account/login") == true, "\(route.method) \(path)")
                    #expect(asUser.status == .seeOther, "\(route.method) \(path): an API token is no browser session")
                case .operational:
                    #expect(withStaleToken.status != .unauthorized || anonymous.status == .unauthorized, "\(route.method) \(path) read the token")
                case .anyone:
                    #expect(anonymous.status != .unauthorized && anonymous.status != .forbidden, "\(route.method) \(path)")
                    #expect(withStaleToken.code == "invalid_token", "\(route.method) \(path)")
                case .user:
                    #expect(anonymous.code == "authentication_required", "\(route.method) \(path)")
                    #expect(asUser.status != .unauthorized && asUser.status != .forbidden, "\(route.method) \(path)")
                case .admin:
                    #expect(anonymous.code == "authentication_required", "\(route.method) \(path)")
                    #expect(asUser.code == "admin_required", "\(route.method) \(path)")
                }
            }
        }
    }
}
