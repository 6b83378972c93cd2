import Foundation
import PostgresKit
import PostgresNIO
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// What a failover does to the service's connections, one piece at a time on one PostgreSQL: a connection
/// closed between two statements of a transaction, a server that stops answering, a primary that comes
/// back read-only, and read replicas that go away. Every request gets an answer (503 where the database
/// could not give one), and the same process serves again without a restart. `scripts/hatest` runs the
/// whole thing against a Patroni cluster.
@Suite("Failover: dead, silent and read-only connections")
struct FailoverTests {
    /// A connection of the test's own to `url`.
    static func connect(_ url: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: try SQLPostgresConfiguration(url: url).coreConfiguration, id: 7,
                                             logger: Logger(label: "failover-test"))
    }

    static func url(of client: TestClient) throws -> String {
        guard case .postgres(let url) = client.app.bookingConfig.database else { throw TestDatabase.PostgresUnavailable() }
        return url
    }

    /// `work`'s value, or nil if it gives none within `limit` (the bound only keeps a hang from hanging the suite).
    static func answer<T: Sendable>(within limit: Duration = .seconds(120), _ work: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await OutageTests.value(of: Task { try await work() }, within: limit)
    }

    @Test("a connection closed between two statements of a transaction fails the transaction at once instead of hanging it, and the pool goes on", .requiresPostgres)
    func closedMidTransaction() async throws {
        try await withBookingApp(.postgres) { client in
            let storage = client.app.domain.storage
            let killer = try await Self.connect(try Self.url(of: client))
            defer { Task { try? await killer.close() } }
            let outcome = try await Self.answer {
                do {
                    try await storage.withTransaction { tx -> Void in
                        let pid = try await tx.session.sql.raw("SELECT pg_backend_pid() AS pid").first()!.decode(column: "pid", as: Int.self)
                        _ = try await killer.query("SELECT pg_terminate_backend(\(unescaped: String(pid)))", logger: killer.logger)
                        // PostgreSQL closed this connection; the next statement must be answered, as a failure.
                        for _ in 0..<50 { try await tx.session.sql.raw("SELECT 1").run() }
                    }
                    return "committed"
                } catch {
                    return StorageFailure.isUnavailable(error) ? "unavailable" : "\(error)"
                }
            }
            #expect(outcome == "unavailable", "\(outcome ?? "no answer within two minutes")")
            #expect(try await client.send(.GET, "/resources/").status == .ok, "the pool replaced the connection")
        }
    }

    @Test("a statement with no answer within DATABASE_STATEMENT_TIMEOUT is 503, its connection dropped and counted; the keyed booking it was for did not happen, its retry books once, and the resource's queue is free again", .requiresPostgres)
    func statementDeadline() async throws {
        try await withBookingApp(.postgres, configure: { $0.databaseStatementTimeout = 1 }) { client in
            let id = try await client.createResource("Stuck", total: 5, adminToken: try await client.adminToken())
            let token = try await client.userToken("stuck")
            @Sendable func book() async throws -> TestClient.Reply {
                try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 1],
                                      headers: [("Idempotency-Key", "stuck-1")])
            }
            // A transaction of our own holds the resource's row: the booking's statement waits for it, and
            // nothing answers within the deadline.
            let blocker = try await Self.connect(try Self.url(of: client))
            _ = try await blocker.query("BEGIN", logger: blocker.logger)
            _ = try await blocker.query("SELECT id FROM resources WHERE id = \(unescaped: String(id)) FOR UPDATE", logger: blocker.logger)
            let stuck = try #require(try await Self.answer { try await book() })
            #expect(stuck.status == .serviceUnavailable, "\(stuck.text)")
            #expect(stuck.code == "database_unavailable")
            let samples = MetricsTests.Samples(String(decoding: client.app.metrics.exposition(), as: UTF8.self))
            #expect((samples[#"booking_database_connections_dropped_total{reason="deadline"}"#] ?? 0) >= 1)
            _ = try await blocker.query("ROLLBACK", logger: blocker.logger)
            try await blocker.close()
            // Its transaction ended with its connection: nothing was taken. The retry books, once. A retry
            // may itself meet the one-second deadline on a busy machine (PostgreSQL may not yet have ended
            // the abandoned session, which still holds the key's lease): that is the same 503, and a client
            // retries it, as this one does.
            #expect(try await client.stock(id).available == 5)
            var retried = try await book()
            for _ in 0..<20 where retried.status == .serviceUnavailable && retried.code == "database_unavailable" {
                retried = try await book()
            }
            #expect(retried.status == .created, "\(retried.text)")
            #expect(try await book().headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try await client.stock(id).available == 4)
            // The same resource books on: its queue did not wedge.
            #expect(try await client.book(id, quantity: 1, token: token).status == .created)
        }
    }

    @Test("a request is answered 503 within REQUEST_TIMEOUT however long its steps may each wait; a keyed booking it was making completes later, and its retry replays it, never a second one", .requiresPostgres)
    func requestDeadline() async throws {
        // With CORS on, so that the 503 made past the deadline is shown to carry CORS's headers too.
        try await withBookingApp(.postgres, configure: {
            $0.requestTimeout = 1; $0.databaseStatementTimeout = 600; $0.corsAllowedOrigins = ["https://app.example.com"]
        }) { client in
            // Set up through the services, not HTTP: with a one-second deadline a login on a busy machine could
            // be cut short too, and only the booking is under test.
            let domain = client.app.domain
            let id = try await domain.resources.create(.init(name: "Slow", description: nil, totalQuantity: 5, availableQuantity: nil),
                                                       by: .system).id
            _ = try await domain.accounts.create(.init(username: "slow", email: "slow@example.com", password: "password123",
                                                       confirmPassword: "password123", isAdmin: false), by: nil)
            let token = try await domain.sessions.login(username: "slow", password: "password123", from: "test").token
            @Sendable func available() async throws -> Int { try await domain.resources.resource(id: id).stock.available }
            @Sendable func book() async throws -> TestClient.Reply {
                try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 2],
                                      headers: [("Idempotency-Key", "slow-1"), ("Origin", "https://app.example.com")])
            }
            let blocker = try await Self.connect(try Self.url(of: client))
            _ = try await blocker.query("BEGIN", logger: blocker.logger)
            _ = try await blocker.query("SELECT id FROM resources WHERE id = \(unescaped: String(id)) FOR UPDATE", logger: blocker.logger)
            let late = try #require(try await Self.answer { try await book() })
            #expect(late.status == .serviceUnavailable, "\(late.text)")
            #expect(late.code == "database_unavailable")
            #expect(late.headers.first(name: .retryAfter) == "1")
            #expect(late.headers.first(name: .accessControlAllowOrigin) == "https://app.example.com", "a browser can read it")
            // The booking was still waiting for the lock; once it is free the booking completes on its own.
            // The retries go to the service directly: over HTTP, a busy machine could cut them short too.
            _ = try await blocker.query("ROLLBACK", logger: blocker.logger)
            try await blocker.close()
            let user = try #require(try await domain.sessions.authenticate(token: token)).user
            var replayed = false
            try await eventually {
                let outcome = try? await domain.bookings.book(.id(id), quantity: 2, for: user, idempotencyKey: "slow-1")
                replayed = outcome?.replayed == true
                return outcome != nil
            }
            #expect(replayed, "the retry found the booking the timed-out request made")
            #expect(try await available() == 3, "one booking of 2, not two")
        }
    }

    @Test("a primary that comes back read-only (SQLSTATE 25006) is an outage: 503 with Retry-After, not 500; the connection is dropped, and once a writable server is back the same process writes again", .requiresPostgres)
    func readOnlyServer() async throws {
        try await withBookingApp(.postgres) { client in
            let id = try await client.createResource("Read-only", total: 5, adminToken: try await client.adminToken())
            let token = try await client.userToken("readonly")
            let url = try Self.url(of: client)
            let name = try #require(URLComponents(string: url)?.path.dropFirst()).description
            let admin = try await Self.connect(try TestDatabase.required(TestDatabase.postgresURLVariable))
            defer { Task { try? await admin.close() } }
            func everyoneReconnects() async throws {
                _ = try await admin.query("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()
                    """, logger: admin.logger)
            }
            // Every new session of the database is read-only from here, as on a demoted primary.
            _ = try await admin.query("ALTER DATABASE \(unescaped: name) SET default_transaction_read_only = on", logger: admin.logger)
            try await everyoneReconnects()
            // The first attempts may still meet the connections just terminated (503 too) before one meets
            // the read-only server; every attempt is refused 503 until one has, and that connection is dropped.
            func readOnlyDrops() -> Double {
                MetricsTests.Samples(String(decoding: client.app.metrics.exposition(), as: UTF8.self))[
                    #"booking_database_connections_dropped_total{reason="read_only"}"#] ?? 0
            }
            var refusals: [TestClient.Reply] = []
            for _ in 0..<20 where readOnlyDrops() < 1 {
                refusals.append(try await client.book(id, quantity: 1, token: token))
            }
            #expect(readOnlyDrops() >= 1, "a connection that met the read-only server was dropped")
            #expect(!refusals.isEmpty)
            for refused in refusals {
                #expect(refused.status == .serviceUnavailable && refused.code == "database_unavailable", "\(refused.text)")
                #expect(refused.headers.first(name: .retryAfter) != nil)
            }
            // A writable server again: the connection that met the read-only one was closed, so the next is fresh.
            _ = try await admin.query("ALTER DATABASE \(unescaped: name) RESET default_transaction_read_only", logger: admin.logger)
            var booked: TestClient.Reply?
            for _ in 0..<10 where booked?.status != .created {
                booked = try await client.book(id, quantity: 1, token: token)
            }
            #expect(booked?.status == .created, "\(booked?.text ?? "")")
            let after = MetricsTests.Samples(String(decoding: client.app.metrics.exposition(), as: UTF8.self))
            #expect((after["booking_database_outages_total"] ?? 0) >= 1, "the outage was noticed, and its end")
        }
    }

    @Test("READ_DATABASE_URL serves the anonymous catalogue from the replicas, signed-in callers and every decision from the primary; replicas that are away fall back to the primary", .requiresPostgres)
    func readReplicas() async throws {
        let base = try TestDatabase.required(TestDatabase.postgresURLVariable)
        // The "replica": another database, holding a catalogue the primary does not, so where a read went shows.
        let replica = try await TestDatabase.makePostgresDatabase(on: base)
        guard case .postgres(let replicaURL) = replica.location else { throw TestDatabase.PostgresUnavailable() }
        try await withBookingApp(at: (replica.location, {})) { replicaClient in
            _ = try await replicaClient.createResource("Only on the replica", total: 1, adminToken: try await replicaClient.adminToken())
        }
        do {
            try await withBookingApp(at: try await TestDatabase.makePostgresDatabase(on: base), configure: { $0.readDatabaseURL = replicaURL }) { client in
                let id = try await client.createResource("On the primary", total: 3, adminToken: try await client.adminToken())
                let token = try await client.userToken("reader")
                #expect(names(try await client.send(.GET, "/resources/")) == ["Only on the replica"])
                #expect(names(try await client.send(.GET, "/resources/", token: token)) == ["On the primary"])
                #expect(try await client.book(id, quantity: 1, token: token).status == .created, "decisions read the primary")
                let samples = MetricsTests.Samples(String(decoding: client.app.metrics.exposition(), as: UTF8.self))
                #expect((samples[#"booking_catalogue_reads_total{from="replica"}"#] ?? 0) >= 1)
            }
        } catch {
            await replica.cleanUp()
            throw error
        }
        await replica.cleanUp()
        // Replicas that cannot be reached: the anonymous catalogue comes from the primary.
        try await withBookingApp(at: try await TestDatabase.makePostgresDatabase(on: base), configure: {
            $0.readDatabaseURL = "postgres://postgres@127.0.0.1:1/nowhere"
            $0.databaseTimeout = 2
        }) { client in
            _ = try await client.createResource("Primary only", total: 1, adminToken: try await client.adminToken())
            let reply = try await client.send(.GET, "/resources/")
            #expect(reply.status == .ok)
            #expect(names(reply) == ["Primary only"])
            let samples = MetricsTests.Samples(String(decoding: client.app.metrics.exposition(), as: UTF8.self))
            #expect((samples[#"booking_catalogue_reads_total{from="primary"}"#] ?? 0) >= 1)
        }
    }
}

/// The names listed in a catalogue answer, in stock first.
private func names(_ reply: TestClient.Reply) -> [String] {
    ((reply.json["resources"] as? [[String: Any]] ?? []) + (reply.json["out of stock resources"] as? [[String: Any]] ?? []))
        .compactMap { $0["name"] as? String }
}
