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

    @Test("/docs is a Swagger UI page pointing at the document")
    func docsPage() async throws {
        try await withBookingApp(.sqlite) { client in
            let reply = try await client.send(.GET, "/docs")
            #expect(reply.status == .ok)
            #expect(reply.headers.contentType?.subType == "html")
            #expect(reply.text.contains("SwaggerUIBundle"))
            #expect(reply.text.contains("/openapi.json"))
        }
    }
}
