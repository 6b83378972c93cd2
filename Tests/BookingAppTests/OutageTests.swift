import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PostgresKit
import PostgresNIO
import SQLKit
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
        // pg_ctl leaves the server running in the background: only the script's own exit matters here, and
        // the server must not inherit this process's sockets (ChildProcess).
        let status = ChildProcess.run("bash '\(script)' \(command)")
        #expect(status == 0, "postgres \(command)")
    }

    /// The task's value, or nil if it has none within `limit` (the task is left running).
    static func value<T: Sendable>(of task: Task<T, any Error>, within limit: Duration) async throws -> T? {
        let (answers, answer) = AsyncStream<Result<T, any Error>?>.makeStream()
        Task { answer.yield(await task.result) }
        Task {
            try? await Task.sleep(for: limit)
            answer.yield(nil)
        }
        for await first in answers {
            answer.finish()
            return try first?.get()
        }
        return nil
    }

    /// Whether the application serves again (PostgreSQL was just started), asking every 250 ms for as long
    /// as a loaded machine may need.
    static func serves(_ client: TestClient) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if try await client.send(.GET, "/resources/").status == .ok { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    @Test("while PostgreSQL is down requests get a quick JSON 503; the service recovers without a restart", .requiresOutagePostgres)
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
                // No hang: each is answered (bounded generously, so a request that never answers fails the
                // test instead of hanging it; how fast is the benchmarks' business).
                let booking = try #require(try await Self.value(of: Task { try await client.book(id, quantity: 2, token: token) },
                                                                within: .seconds(120)), "the booking was never answered")
                let listing = try #require(try await Self.value(of: Task { try await client.send(.GET, "/resources/") },
                                                                within: .seconds(120)), "the listing was never answered")
                for reply in [booking, listing] {
                    #expect(reply.status == .serviceUnavailable, "\(reply.text)")
                    #expect(reply.code == "database_unavailable")
                    #expect(reply.headers.first(name: .retryAfter) != nil)
                }
            }

            try Self.postgres("start")
            restarted = true
            let recovered = try await Self.serves(client)
            #expect(recovered, "the same application serves again once PostgreSQL is back")

            #expect(try await client.book(id, quantity: 2, token: token).status == .created)
            let bookings = try await client.send(.GET, "/bookings/", token: token)
            let booked = bookings.jsonArray.compactMap { $0["purchase_quantity"] as? Int }.reduce(0, +)
            #expect(booked == 3, "the bookings refused during the outage left nothing behind")
            #expect(try await client.available(id) == total - booked)
        }
    }

    @Test("PostgreSQL stopped in the middle of a batch: every request of it gets 503, nothing of it is committed, and its keys are free for the retry",
          .timeLimit(.minutes(10)), .requiresOutagePostgres)
    func outageMidBatch() async throws {
        let baseURL = try TestDatabase.required("BOOKING_TEST_OUTAGE_POSTGRES_URL")
        let database = try await TestDatabase.makePostgresDatabase(on: baseURL)
        guard case .postgres(let url) = database.location else { throw TestDatabase.PostgresUnavailable(variable: "BOOKING_TEST_OUTAGE_POSTGRES_URL") }
        let clock = ManualClock()
        try await withBookingApp(at: database, clock: clock) { client in
            let id = try await client.createResource("Festival", total: 10, adminToken: try await client.adminToken())
            let token = try await client.userToken("fan")
            let queue = try #require(client.app.domain.storage.takeBatches).queue
            let sql = client.app.db as! any SQLDatabase

            // A connection of our own holds the resource's row lock in an open transaction: the batch will
            // wait for it inside its own transaction. (Not one of the application's: a statement sent on a
            // pooled connection that PostgreSQL closed while it sat idle is never answered by PostgresNIO.)
            let blocker = try await PostgresConnection.connect(
                configuration: try SQLPostgresConfiguration(url: url).coreConfiguration, id: 1, logger: Logger(label: "blocker"))
            _ = try await blocker.query("BEGIN", logger: blocker.logger)
            _ = try await blocker.query("SELECT id FROM resources WHERE id = \(id) FOR UPDATE", logger: blocker.logger)
            #expect(queue.pause(id))
            let sends: [@Sendable () async throws -> TestClient.Reply] = [
                { try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 2],
                                        headers: [("Idempotency-Key", "mid-batch")]) },
                { try await client.book(id, quantity: 3, token: token) },
                { try await client.hold(id, quantity: 1, token: token) },
            ]
            var tasks: [Task<TestClient.Reply, any Error>] = []
            for send in sends {
                tasks.append(Task { try await send() })
                let queued = tasks.count
                try await eventually(within: .seconds(120)) { queue.queued(for: id) == queued }
            }
            queue.resume(id)
            // The batch has begun its transaction and waits for the row lock.
            try await eventually(within: .seconds(120)) {
                let row = try? await sql.raw("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'").first()
                return (try? row?.decode(column: "n", as: Int.self)) ?? 0 > 0
            }

            try Self.postgres("stop")
            var restarted = false
            defer { if !restarted { try? Self.postgres("start") } }
            for task in tasks {
                // Bounded, so that a request that never answers fails this test instead of hanging the suite.
                let reply = try await Self.value(of: task, within: .seconds(120))
                #expect(reply?.status == .serviceUnavailable, "\(reply?.text ?? "no answer within 120 s")")
                #expect(reply?.code == "database_unavailable")
            }

            try? await blocker.close()
            try Self.postgres("start")
            restarted = true
            let recovered = try await Self.serves(client)
            #expect(recovered)
            #expect(try await client.stock(id) == (10, 0, 10), "nothing of the failed batch was committed")
            #expect(try await client.send(.GET, "/bookings/", token: token).jsonArray.isEmpty)
            #expect(try await client.send(.GET, "/holds/", token: token).jsonArray.isEmpty)
            // Its key could not be released while PostgreSQL was down: it stays in progress until its lease runs out,
            // then the retry books afresh, once.
            @Sendable func retry() async throws -> TestClient.Reply {
                try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 2],
                                      headers: [("Idempotency-Key", "mid-batch")])
            }
            #expect(try await retry().code == "idempotency_key_in_progress")
            clock.advance(by: IdempotentRequests.lease + 1)
            let retried = try await retry()
            #expect(retried.status == .created, "\(retried.text)")
            #expect(retried.headers.first(name: "Idempotent-Replayed") == nil)
            #expect(try await retry().headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try await client.stock(id) == (8, 0, 10))
        }
    }

    @Test("/ready is 503 while PostgreSQL is down, /health stays 200", .requiresOutagePostgres)
    func readyDuringOutage() async throws {
        let baseURL = try TestDatabase.required("BOOKING_TEST_OUTAGE_POSTGRES_URL")
        try await withBookingApp(at: try await TestDatabase.makePostgresDatabase(on: baseURL)) { client in
            #expect(try await client.send(.GET, "/ready").status == .ok)
            try Self.postgres("stop")
            let down = try await client.send(.GET, "/ready")
            let alive = try await client.send(.GET, "/health")
            try Self.postgres("start")
            #expect(down.status == .serviceUnavailable)
            #expect(down.reason == "The database is unavailable.")
            #expect(alive.status == .ok)
        }
    }
}
