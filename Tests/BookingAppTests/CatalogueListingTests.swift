import CompressNIO
import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain

/// What one anonymous reader of the seed listing (`GET /resources/`) may cost: a 304 when nothing changed,
/// a gzip made once, and never more than a page of it.
@Suite("The seed listing for anonymous readers")
struct CatalogueListingTests {
    @Test("the listing carries an ETag: If-None-Match with it is 304 without a body until the catalogue changes, then 200 with a new one",
          arguments: TestDatabase.allCases)
    func etag(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Quiet room", total: 3, adminToken: try await client.adminToken())
            let first = try await client.send(.GET, "/resources/")
            let tag = try #require(first.headers.first(name: .eTag))
            #expect(tag.hasPrefix("\"") && tag.hasSuffix("\""))
            #expect(first.headers.first(name: .vary) == "Accept-Encoding")
            let same = try await client.send(.GET, "/resources/", headers: [("If-None-Match", tag)])
            #expect(same.status == .notModified)
            #expect(same.body.readableBytes == 0)
            #expect(same.headers.first(name: .eTag) == tag)
            #expect(try await client.send(.GET, "/resources/", headers: [("If-None-Match", "\"other\", W/\(tag)")]).status == .notModified)
            #expect(try await client.send(.GET, "/resources/", headers: [("If-None-Match", "\"other\"")]).status == .ok)

            #expect(try await client.book(id, quantity: 1, token: try await client.userToken("changer")).status == .created)
            let changed = try await client.send(.GET, "/resources/", headers: [("If-None-Match", tag)])
            #expect(changed.status == .ok, "never a stale 304")
            #expect(changed.headers.first(name: .eTag) != tag)
            #expect((changed.json["resources"] as? [[String: Any]])?.first?["available_quantity"] as? Int == 2)
        }
    }

    @Test("a client that accepts gzip gets the same JSON gzipped, with its own ETag; one that does not (or says q=0) gets it plain")
    func gzip() async throws {
        try await withBookingApp(.sqlite) { client in
            let admin = try await client.adminToken()
            for index in 0..<30 {
                _ = try await client.send(.POST, "/resources/", token: admin, json: [
                    "name": "Room \(index)", "description": String(repeating: "A long description. ", count: 20), "total_quantity": 5])
            }
            let plain = try await client.send(.GET, "/resources/")
            let zipped = try await client.send(.GET, "/resources/", headers: [("Accept-Encoding", "br;q=1.0, gzip;q=0.8")])
            #expect(zipped.headers.first(name: .contentEncoding) == "gzip")
            #expect(zipped.body.readableBytes < plain.body.readableBytes / 4)
            var compressed = zipped.body
            let inflated = try compressed.decompress(with: .gzip())
            #expect(inflated == plain.body)
            #expect(zipped.headers.first(name: .eTag) == plain.headers.first(name: .eTag).map { $0.dropLast() + "-gzip\"" })
            #expect(try await client.send(.GET, "/resources/", headers: [("Accept-Encoding", "gzip;q=0")]).headers.first(name: .contentEncoding) == nil)
            #expect(plain.headers.first(name: .contentEncoding) == nil)
            // The gzip's tag revalidates as the plain one does.
            let tag = try #require(zipped.headers.first(name: .eTag))
            #expect(try await client.send(.GET, "/resources/", headers: [("Accept-Encoding", "gzip"), ("If-None-Match", tag)]).status == .notModified)
        }
    }

    @Test("past 1,000 resources the seed listing is its first 1,000 with a Link to the rest; below it, the seed's listing is unchanged",
          arguments: TestDatabase.allCases)
    func cap(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            _ = try await client.createResource("First", total: 1, adminToken: admin)
            let small = try await client.send(.GET, "/resources/")
            #expect(small.headers.first(name: "Link") == nil)
            #expect((small.json["resources"] as? [[String: Any]])?.count == 1)
            // 1,000 more, straight into the table.
            let sql = client.app.db as! any SQLDatabase
            let now = Date()
            for chunk in stride(from: 0, to: 1000, by: 250) {
                let rows: [SQLQueryString] = (chunk..<chunk + 250).map { index in
                    "(\(bind: "Bulk \(index)"), \(bind: "bulk \(index)"), '', 2, \(bind: index % 3 == 0 ? 0 : 2), 0, \(bind: now))"
                }
                try await sql.raw("""
                    INSERT INTO resources (name, name_key, description, total_quantity, available_quantity, held_quantity, created_at)
                    VALUES \(rows.joined(separator: ", "))
                    """).run()
            }
            let capped = try await client.send(.GET, "/resources/")
            let listed = (capped.json["resources"] as? [[String: Any]] ?? []) + (capped.json["out of stock resources"] as? [[String: Any]] ?? [])
            #expect(listed.count == 1000)
            #expect(capped.headers.first(name: "Link") == "</resources/?limit=1000&offset=1000>; rel=\"next\"")
            let rest = try await client.send(.GET, "/resources/?limit=1000&offset=1000")
            let restListed = (rest.json["resources"] as? [[String: Any]] ?? []) + (rest.json["out of stock resources"] as? [[String: Any]] ?? [])
            #expect(restListed.count == 1)
            let ids = Set(listed.compactMap { $0["id"] as? Int }).union(restListed.compactMap { $0["id"] as? Int })
            #expect(ids.count == 1001, "every resource on one page or the other")
        }
    }

    @Test("on PostgreSQL the database writes the seed listing: equal as JSON to what the DTOs encode, for anonymous and signed-in readers, with lapsed holds counted back, and past the cap", .requiresPostgres)
    func writtenByTheDatabase() async throws {
        let clock = ManualClock()
        try await withBookingApp(.postgres, clock: clock) { client in
            let admin = try await client.adminToken()
            let odd = try await client.createResource(#"Quote " back\slash / ünïcode ✓ \u{2028}"#, total: 5, adminToken: admin)
            let limited = try await client.createResource("Limited", total: 4, adminToken: admin)
            #expect(try await client.send(.PATCH, "/resources/\(limited)/", token: admin, json: ["max_per_user": 2, "max_per_booking": 1]).status == .ok)
            let gone = try await client.createResource("Sold out", total: 1, adminToken: admin)
            let slots = try await client.send(.POST, "/resources/", token: admin, json: [
                "name": "Court", "total_quantity": 2,
                "schedule": ["kind": "slots", "time_zone": "Europe/Berlin", "slot_minutes": 30, "min_notice_minutes": 15,
                             "opening_hours": [["weekdays": [6, 1, 2], "open": "08:00", "close": "22:00"]]] as [String: Any],
            ])
            #expect(slots.status == .created, "a dated resource's schedule is written the same way: \(slots.text)")
            let fan = try await client.userToken("fan")
            #expect(try await client.book(gone, quantity: 1, token: fan).status == .created)
            #expect(try await client.hold(odd, quantity: 2, token: fan).status == .created)
            #expect(try await client.hold(limited, quantity: 1, token: fan).status == .created)

            func matches(_ label: String) async throws {
                let resources = client.app.domain.resources
                for token in [nil, fan] {
                    let catalogue = try await resources.catalogue(anonymous: token == nil)
                    let fromDTOs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ResourceCatalogueResponse(
                        resources: catalogue.inStock.map(ResourceResponse.init), outOfStockResources: catalogue.outOfStock.map(ResourceResponse.init))))
                    let written = try #require(try await resources.catalogueJSON(anonymous: token == nil))
                    #expect(written.more == catalogue.more, "\(label)")
                    let reply = try await client.send(.GET, "/resources/", token: token)
                    #expect(reply.status == .ok && reply.headers.contentType == .json)
                    let served = try JSONSerialization.jsonObject(with: Data(buffer: reply.body))
                    #expect(served as? NSDictionary == fromDTOs as? NSDictionary, "\(label), \(token == nil ? "anonymous" : "signed in")")
                    #expect(try JSONSerialization.jsonObject(with: Data(written.json.utf8)) as? NSDictionary == fromDTOs as? NSDictionary)
                }
            }
            try await matches("holds live")
            clock.advance(by: 3600)
            try await matches("holds lapsed, not yet reclaimed")
            #expect(try await client.stock(odd).available == 5, "the lapsed hold counts as available")
            // Past the cap: the first 1,000, in stock first, and `more`.
            let sql = client.app.db as! any SQLDatabase
            try await sql.raw("""
                INSERT INTO resources (name, name_key, description, total_quantity, available_quantity, held_quantity, created_at)
                SELECT 'Bulk ' || g, 'bulk ' || g, '', 2, CASE WHEN g % 3 = 0 THEN 0 ELSE 2 END, 0, now() FROM generate_series(1, 1000) g
                """).run()
            try await matches("past the cap")
            #expect(try await client.app.domain.resources.catalogueJSON()?.more == true)
        }
    }
}
