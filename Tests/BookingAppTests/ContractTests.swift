import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("The published contract")
struct ContractTests {
    @Test("/openapi.json describes every route the server has, and nothing it lacks")
    func documentMatchesRoutes() async throws {
        try await withBookingApp(.sqlite) { client in
            let reply = try await client.send(.GET, "/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.headers.contentType?.subType == "json")
            let paths = try #require(reply.json["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths {
                let normalized = path.split(separator: "/").map { $0.hasPrefix("{") ? ":" : String($0) }.joined(separator: "/")
                for method in operations.keys { documented.insert("\(method.uppercased()) \(normalized)") }
            }
            let served = client.app.routeSignatures(excluding: ["openapi.json", "docs"])
            #expect(documented == served, "only documented: \(documented.subtracting(served)); only served: \(served.subtracting(documented))")
        }
    }

    @Test("/docs is the API reference drawn from the document, every operation on it, with nothing from elsewhere")
    func docsPage() async throws {
        try await withBookingApp(.sqlite) { client in
            let reply = try await client.send(.GET, "/docs")
            #expect(reply.status == .ok)
            #expect(reply.headers.contentType?.subType == "html")
            #expect(reply.text.contains("/openapi.json"))
            let served = client.app.routeSignatures(excluding: ["openapi.json"])
            let sections = reply.text.components(separatedBy: "<section").count - 1
            #expect(sections == served.count, "one section per operation: \(sections) of \(served.count)")
            #expect(reply.text.contains("<code>POST /resources/{id}/waitlist/</code>"))
            #expect(!reply.text.contains("https://"), "no asset from the internet")
            #expect(!reply.text.contains("<script>"), "no inline script")
        }
    }

    @Test("the document's list of error codes is exactly the codes the server can send")
    func errorCodes() async throws {
        try await withBookingApp(.sqlite) { client in
            let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: try await client.send(.GET, "/openapi.json").body)) as? [String: Any])
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let code = try #require(((schemas["Error"] as? [String: Any])?["properties"] as? [String: Any])?["code"] as? [String: Any])
            let documented = try #require(code["enum"] as? [String])
            #expect(documented.count == Set(documented).count, "no code twice")
            #expect(Set(documented) == Set(ErrorCode.allCases.map(\.rawValue)))
        }
    }

    @Test("a served path asked with a method it does not serve is 405 with Allow; a path nothing serves is 404", arguments: TestDatabase.allCases)
    func methodNotAllowed(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let cases: [(HTTPMethod, String, String?)] = [
                (.PUT, "/bookings/1/", "DELETE, GET, HEAD"),
                (.POST, "/resources/7", "DELETE, GET, HEAD, PATCH"),
                (.DELETE, "/resources/", "GET, HEAD, POST"),
                (.DELETE, "/users/me/", "GET, HEAD, PATCH"),
                (.GET, "/users/me/password", "POST"),
                (.DELETE, "/login/", "POST"),
                (.POST, "/health", "GET, HEAD"),
                (.PUT, "/nowhere/", nil),
            ]
            for (method, path, allowed) in cases {
                let reply = try await client.send(method, path, token: admin)
                if let allowed {
                    #expect(reply.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(reply.code == "method_not_allowed")
                    #expect(reply.headers.first(name: .allow) == allowed, "\(method) \(path)")
                } else {
                    #expect(reply.status == .notFound, "\(method) \(path)")
                    #expect(reply.code == "not_found")
                    #expect(reply.headers.first(name: .allow) == nil)
                }
            }
            #expect(try await client.send(.HEAD, "/resources/").status == .ok, "HEAD is served wherever GET is")
            // A path id that is not an integer names nothing: the route's own not-found.
            #expect(try await client.send(.GET, "/bookings/abc/", token: admin).code == "booking_not_found")
        }
    }
}
