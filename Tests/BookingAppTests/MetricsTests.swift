import Foundation
import SQLKit
import Synchronization
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Prometheus metrics")
struct MetricsTests {
    /// The samples of a `/metrics` answer, keyed by name and labels as written (`name{a="1"}`).
    struct Samples {
        let values: [String: Double]
        let text: String

        init(_ text: String) {
            self.text = text
            var values: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                    Issue.record("not a sample line: \(line)")
                    continue
                }
                values[String(line[..<space])] = value
            }
            self.values = values
        }

        subscript(_ series: String) -> Double? { values[series] }
    }

    func scrape(_ client: TestClient, headers: [(String, String)] = []) async throws -> Samples {
        let reply = try await client.send(.GET, "/metrics", headers: headers)
        #expect(reply.status == .ok, "\(reply.text)")
        #expect(reply.headers.first(name: .contentType) == "text/plain; version=0.0.4; charset=utf-8")
        return Samples(reply.text)
    }

    @Test("requests are counted and timed by method, route pattern and status, never by raw id or invented method",
          arguments: TestDatabase.allCases)
    func requests(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let token = try await client.userToken("mia")
            for _ in 0..<3 { #expect(try await client.send(.GET, "/resources/").status == .ok) }
            #expect(try await client.send(.DELETE, "/bookings/98765/", token: token).status == .notFound)
            #expect(try await client.send(.GET, "/no/such/path/4242").status == .notFound)
            #expect(try await client.send(.GET, "/nor/this/4243").status == .notFound)
            #expect(try await client.send(HTTPMethod(rawValue: "BREW"), "/resources/").status == .methodNotAllowed)
            #expect(try await client.send(HTTPMethod(rawValue: "MASH"), "/resources/").status == .methodNotAllowed)

            let samples = try await scrape(client)
            #expect(samples[#"http_requests_total{method="GET",route="/resources",status="200"}"#] == 3)
            #expect(samples[#"http_request_duration_seconds_count{method="GET",route="/resources",status="200"}"#] == 3)
            #expect(samples[#"http_request_duration_seconds_bucket{method="GET",route="/resources",status="200",le="+Inf"}"#] == 3)
            let sum = try #require(samples[#"http_request_duration_seconds_sum{method="GET",route="/resources",status="200"}"#])
            #expect(sum > 0 && sum < 30)
            #expect(samples[#"http_requests_total{method="DELETE",route="/bookings/:id",status="404"}"#] == 1)
            #expect(samples[#"http_requests_total{method="GET",route="unmatched",status="404"}"#] == 2, "two paths, one series")
            #expect(samples[#"http_requests_total{method="other",route="unmatched",status="405"}"#] == 2, "two invented methods, one series")
            #expect(samples[#"http_requests_total{method="POST",route="/login",status="200"}"#] == 1)
            // In the series' names and labels, that is: a value (a duration of 0.0042429 s) may hold any digits.
            let series = samples.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").dropLast().joined(separator: " ") }
            #expect(!series.contains { $0.contains("98765") || $0.contains("4242") || $0.contains("BREW") || $0.contains("MASH") }, "\(series)")
        }
    }

    @Test("bookings, units, cancellations and refusals by reason are counted; an idempotent replay is not a new booking",
          arguments: TestDatabase.allCases)
    func bookings(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let token = try await client.userToken("nils")
            let room = try await client.createResource("metrics room", total: 5, adminToken: admin)

            let before = try await scrape(client)
            for reason in ["insufficient", "unknown_resource", "invalid", "idempotency_conflict"] {
                #expect(before[#"booking_refusals_total{reason="\#(reason)"}"#] == 0, "\(reason) is exported from the start")
            }
            #expect(before["booking_bookings_created_total"] == 0)

            let keyed = [("Idempotency-Key", "order-1")]
            let first = try await client.send(.POST, "/bookings/", token: token, json: ["resource": room, "purchase_quantity": 2], headers: keyed)
            #expect(first.status == .created)
            let replay = try await client.send(.POST, "/bookings/", token: token, json: ["resource": room, "purchase_quantity": 2], headers: keyed)
            #expect(replay.status == .created && replay.headers.first(name: "Idempotent-Replayed") == "true")
            let reused = try await client.send(.POST, "/bookings/", token: token, json: ["resource": room, "purchase_quantity": 1], headers: keyed)
            #expect(reused.status == .unprocessableEntity)
            #expect(try await client.book(room, quantity: 1, token: token).status == .created)
            #expect(try await client.book(room, quantity: 3, token: token).status == .badRequest)
            #expect(try await client.book(424242, quantity: 1, token: token).status == .notFound)
            #expect(try await client.book(room, quantity: 0, token: token).status == .badRequest)
            #expect(try await client.send(.POST, "/bookings/", token: token, rawBody: "{not json").status == .badRequest)
            let bookingID = try #require(first.json["id"] as? Int)
            #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: token).status == .ok)
            #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: token).status == .conflict)

            let after = try await scrape(client)
            #expect(after["booking_bookings_created_total"] == 2)
            #expect(after["booking_units_booked_total"] == 3)
            #expect(after["booking_bookings_cancelled_total"] == 1)
            #expect(after["booking_units_released_total"] == 2)
            #expect(after[#"booking_refusals_total{reason="insufficient"}"#] == 1)
            #expect(after[#"booking_refusals_total{reason="unknown_resource"}"#] == 1)
            #expect(after[#"booking_refusals_total{reason="invalid"}"#] == 2)
            #expect(after[#"booking_refusals_total{reason="idempotency_conflict"}"#] == 1)
            // What the counters say agrees with the stock.
            #expect(try await client.available(room) == 5 - 3 + 2)
        }
    }

    @Test("logins are counted as successes, failures and throttled attempts", arguments: TestDatabase.allCases)
    func logins(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("olive")
            _ = try await client.login("olive")
            for _ in 0..<5 {
                let reply = try await client.send(.POST, "/login/", json: ["username": "olive", "password": "wrong-password"])
                #expect(reply.status == .unauthorized)
            }
            let throttled = try await client.send(.POST, "/login/", json: ["username": "olive", "password": "password123"])
            #expect(throttled.status == .tooManyRequests)

            let samples = try await scrape(client)
            #expect(samples[#"booking_logins_total{outcome="success"}"#] == 1)
            #expect(samples[#"booking_logins_total{outcome="failure"}"#] == 5)
            #expect(samples[#"booking_logins_total{outcome="throttled"}"#] == 1)
        }
    }

    @Test("the pool gauge counts a transaction and a statement while they run, and returns to 0", arguments: TestDatabase.allCases)
    func databasePool(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: { $0.databasePoolSize = 3 }) { client in
            let app = client.app
            @Sendable func inUse() async throws -> Double? { try await scrape(client)["booking_database_pool_in_use"] }

            let capacity = try #require(try await scrape(client)["booking_database_pool_capacity"])
            #expect(capacity == Double((db == .postgres ? 3 : 1) * System.coreCount))
            #expect(try await inUse() == 0)

            let storage = app.domain.storage
            let duringTransaction = try await storage.transaction { _ in try await inUse() }
            #expect(duringTransaction == 1)
            #expect(try await inUse() == 0)

            // A statement slow enough to be seen under way, sampled (straight from the registry, a few
            // microseconds each) until it ends: however slowly both go, the statement lasts many samples.
            let slow = db == .postgres
                ? "SELECT pg_sleep(1)"
                : "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000000) SELECT count(*) FROM n"
            let finished = Mutex(false)
            let running = Task {
                defer { finished.withLock { $0 = true } }
                try await storage.session.sql.raw(SQLQueryString(slow)).run()
            }
            var seen = false
            while !seen, !finished.withLock({ $0 }) {
                seen = Samples(String(decoding: app.metrics.exposition(), as: UTF8.self))["booking_database_pool_in_use"] == 1
                await Task.yield()
            }
            try await running.value
            #expect(seen, "the statement was never counted while it ran")
            #expect(try await inUse() == 0)
        }
    }

    @Test("with METRICS_TOKEN set, /metrics needs it as a bearer token; user tokens play no part there")
    func token() async throws {
        let secret = "scrape-secret-0123456789"
        try await withBookingApp(.sqlite, configure: { $0.metricsToken = secret }) { client in
            let missing = try await client.send(.GET, "/metrics")
            #expect(missing.status == .unauthorized)
            #expect(missing.code == "metrics_token_required")
            #expect(missing.headers.first(name: .wwwAuthenticate) == "Bearer")
            let admin = try await client.adminToken()
            #expect(try await client.send(.GET, "/metrics", token: admin).status == .unauthorized, "an admin's token is not the metrics token")
            #expect(try await client.send(.GET, "/metrics", headers: [("Authorization", "Bearer wrong-secret-0123456789")]).status == .unauthorized)
            let samples = try await scrape(client, headers: [("Authorization", "Bearer \(secret)")])
            #expect(samples[#"http_requests_total{method="GET",route="/metrics",status="401"}"#] == 3)
        }
        try await withBookingApp(.sqlite) { client in
            // Without METRICS_TOKEN the endpoint is open, and a scraper's own Authorization header is not checked as a user token.
            _ = try await scrape(client, headers: [("Authorization", "Bearer some-scraper-credential")])
        }
    }

    @Test("the process series: resident memory, CPU time, open file descriptors and start time")
    func process() async throws {
        try await withBookingApp(.sqlite) { client in
            let samples = try await scrape(client)
            let started = try #require(samples["process_start_time_seconds"])
            #expect(abs(started - Date().timeIntervalSince1970) < 3600)
            #if os(Linux)
            let resident = try #require(samples["process_resident_memory_bytes"])
            #expect(resident > 1_000_000 && resident < 64_000_000_000)
            #expect(try #require(samples["process_cpu_seconds_total"]) > 0)
            #expect(try #require(samples["process_open_fds"]) >= 3, "stdin, stdout, stderr at least")
            #endif
        }
    }

    @Test("METRICS_TOKEN must be 16 to 256 visible characters")
    func tokenConfiguration() throws {
        #expect(try AppConfig.fromEnvironment(["METRICS_TOKEN": "0123456789abcdef"]).metricsToken == "0123456789abcdef")
        #expect(try AppConfig.fromEnvironment([:]).metricsToken == nil)
        for bad in ["short", "has a space in the middle", String(repeating: "x", count: 257)] {
            #expect(throws: ConfigurationError.self) { try AppConfig.fromEnvironment(["METRICS_TOKEN": bad]) }
        }
    }
}
