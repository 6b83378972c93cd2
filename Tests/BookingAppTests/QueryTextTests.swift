import Testing
import Vapor
@testable import BookingApp

/// `Request.queryText` reads a plain query string itself and leaves every other to Vapor; wherever it reads
/// one itself, it must answer what Vapor's decoding answers.
@Suite("Query parameters")
struct QueryTextTests {
    static let keys = ["limit", "offset", "search", "limi", "limitx", "", "LIMIT"]
    static let values = ["1", "100", "abc", "-3", "", "=2", "limit", "é"]
    static let oddities = ["%20", "+", "[]", "[0]", ";", "%6Cimit", "&", "=", "&&"]

    /// A query string of one to four pairs, now and then with something that makes it not plain.
    static func query(using random: inout SeededGenerator) -> String {
        var pairs = (0..<Int.random(in: 1...4, using: &random)).map { _ in
            let key = keys.randomElement(using: &random)!
            return Int.random(in: 0..<8, using: &random) == 0 ? key : key + "=" + values.randomElement(using: &random)!
        }
        if Int.random(in: 0..<4, using: &random) == 0 {
            let index = Int.random(in: 0..<pairs.count, using: &random)
            pairs[index] += oddities.randomElement(using: &random)!
        }
        return pairs.joined(separator: "&")
    }

    @Test("a plain query string is read as Vapor reads it; a query string that is not plain is left to Vapor")
    func sameAsVapor() async throws {
        let app = try await Application.make(.testing)
        var random = SeededGenerator(seed: 24)
        var readDirectly = 0
        let fixed = ["limit=100", "limit=100&offset=200", "offset=2&limit=7", "search=limit", "limit=", "limit=1=2",
                     "limit&limit=3", "limit=1&limit=2", "=5&limit=6", "&&limit=8&&", "limit=%31", "limit=1+2", "limit[]=3"]
        let generated = (0..<3_000).map { _ in Self.query(using: &random) }
        for query in fixed + generated {
            let request = Request(application: app, method: .GET, url: URI(string: "/bookings/?" + query), on: app.eventLoopGroup.next())
            guard let raw = request.url.query else { continue }
            for name in ["limit", "offset"] {
                let vapor = request.query[String.self, at: name]
                #expect(request.queryText(name) == vapor, "\(query) \(name)")
                if let plain = Request.plainQueryValue(name, in: raw) {
                    readDirectly += 1
                    #expect(plain == vapor, "\(query) \(name)")
                }
            }
        }
        #expect(Request.plainQueryValue("limit", in: "limit=100&offset=200") == "100")
        #expect(Request.plainQueryValue("limit", in: "limit=1+2") == nil && Request.plainQueryValue("limit", in: "limit=1&limit=2") == nil)
        #expect(readDirectly > 500, "the generated strings exercise the direct reading (\(readDirectly))")
        try await app.asyncShutdown()
    }
}
