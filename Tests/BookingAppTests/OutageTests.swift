import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// Uses a PostgreSQL cluster of its own (`BOOKING_TEST_OUTAGE_POSTGRES_URL`) that it stops and starts,
/// so the other tests' server is never disturbed.
@Suite("PostgreSQL going away and coming back", .serialized)
struct OutageTests {
    static func postgres(_ command: String) throws {
        let script = try TestDatabase.required("BOOKING_TEST_OUTAGE_POSTGRES_CTL")
        // system() rather than Foundation's Process: pg_ctl leaves the server running in the background,
        // and only the script's own exit matters here.
        let status = system("bash '\(script)' \(command) >/dev/null")
        #expect(status == 0, "postgres \(command)")
    }

    @Test("while PostgreSQL is down requests get a quick JSON 503; the service recovers without a restart")
    func outageAndRecovery() async throws {
        let baseURL = try TestDatabase.required("BOOKING_TEST_OUTAGE_POSTGRES_URL")
        try await withBookingApp(at: try await TestDatabase.makePostgresDatabase(on: baseURL)) { client in
            let total = 10
            let id = try await client.createResource("Generator", total: total, adminToken: try await client.adminToken())
            let token = try await client.userToken("outage")
            #expect(try await client.book(id, quantity: 1, token: token).status == .created)

            try Self.postgres("stop")
            var restarted = false
            defer { if !restarted { try? Self.postgres("start") } }

            for _ in 0..<3 {
                let started = ContinuousClock.now
                let booking = try await client.book(id, quantity: 2, token: token)
                let listing = try await client.send(.GET, "/resources/")
                #expect(ContinuousClock.now - started < .seconds(10), "no hang: both answered within the timeouts")
                for reply in [booking, listing] {
                    #expect(reply.status == .serviceUnavailable, "\(reply.text)")
                    #expect(reply.code == "database_unavailable")
                    #expect(reply.headers.first(name: .retryAfter) != nil)
                }
            }

            try Self.postgres("start")
            restarted = true
            var recovered = false
            for _ in 0..<40 where !recovered {
                recovered = try await client.send(.GET, "/resources/").status == .ok
                if !recovered { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(recovered, "the same application serves again once PostgreSQL is back")

            #expect(try await client.book(id, quantity: 2, token: token).status == .created)
            let bookings = try await client.send(.GET, "/bookings/", token: token)
            let booked = bookings.jsonArray.compactMap { $0["purchase_quantity"] as? Int }.reduce(0, +)
            #expect(booked == 3, "the bookings refused during the outage left nothing behind")
            #expect(try await client.available(id) == total - booked)
        }
    }

    @Test("/ready is 503 while PostgreSQL is down, /health stays 200")
    func readyDuringOutage() async throws {
        let baseURL = try TestDatabase.required("BOOKING_TEST_OUTAGE_POSTGRES_URL")
        try await withBookingApp(at: try await TestDatabase.makePostgresDatabase(on: baseURL)) { client in
            #expect(try await client.send(.GET, "/ready").status == .ok)
            try Self.postgres("stop")
            let down = try await client.send(.GET, "/ready")
            let alive = try await client.send(.GET, "/health")
            try Self.postgres("start")
            #expect(down.status == .serviceUnavailable)
            #expect(down.json["reason"] as? String == "The database is unavailable.")
            #expect(alive.status == .ok)
        }
    }
}
