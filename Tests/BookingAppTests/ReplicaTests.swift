import FluentPostgresDriver
import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("Several servers on one PostgreSQL")
struct ReplicaTests {
    @Test("three replicas start together, create one admin, and never oversell between them", .requiresPostgres)
    func replicasShareStock() async throws {
        try await withPostgresReplicas(3) { replicas in
            let admin = try await replicas[0].adminToken()
            let users = try await replicas[1].send(.GET, "/users/", token: admin)
            #expect(users.jsonArray.filter { $0["is_admin"] as? Bool == true }.count == 1)

            let total = 7
            let id = try await replicas[1].createResource("Shared", total: total, adminToken: admin)
            var tokens: [String] = []
            for index in 0..<3 { tokens.append(try await replicas[index].userToken("replica-user-\(index)")) }

            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for attempt in 0..<90 {
                    let replica = replicas[attempt % 3], token = tokens[(attempt / 3) % 3]
                    group.addTask { try await replica.book(id, quantity: 1, token: token).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == total)
            #expect(statuses.allSatisfy { $0 == .created || $0 == .badRequest })
            #expect(try await replicas[2].available(id) == 0)
        }
    }

    @Test("a token issued by one replica works on the others, and logout on one is refused by all", .requiresPostgres)
    func tokensAcrossReplicas() async throws {
        try await withPostgresReplicas(3) { replicas in
            let token = try await replicas[0].userToken("roamer")
            for replica in replicas {
                #expect(try await replica.send(.GET, "/users/", token: token).status == .ok)
            }
            #expect(try await replicas[1].send(.POST, "/logout/", token: token).status == .noContent)
            for replica in replicas {
                #expect(try await replica.send(.GET, "/users/", token: token).status == .unauthorized)
            }
        }
    }
}

@Suite("The start-up migration lock")
struct MigrationLockTests {
    /// Records what the lock's holders do, in order.
    actor Journal {
        var events: [String] = []
        func add(_ event: String) { events.append(event) }
    }

    /// Whether another server could take the lock right now: asks PostgreSQL, in a transaction of its own,
    /// rather than timing how long taking it takes.
    func lockIsFree(_ url: String) async throws -> Bool {
        let logger = Logger(label: "migration-lock-probe")
        let connection = try await PostgresConnection.connect(
            configuration: try SQLPostgresConfiguration(url: url).coreConfiguration, id: 1, logger: logger)
        do {
            try await connection.query("BEGIN", logger: logger)
            let rows = try await connection.query("SELECT pg_try_advisory_xact_lock(\(MigrationLock.key))", logger: logger).collect()
            let free = try rows.first?.decode(Bool.self) == true
            try await connection.query("ROLLBACK", logger: logger)
            try await connection.close()
            return free
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `test` with the URL of a fresh PostgreSQL database, dropped afterwards.
    func withFreshPostgres(_ test: (String) async throws -> Void) async throws {
        let (location, cleanUp) = try await TestDatabase.postgres.makeLocation()
        guard case .postgres(let url) = location else {
            await cleanUp()
            Issue.record("not PostgreSQL: \(location)")
            return
        }
        do {
            try await test(url)
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()
    }

    @Test("a second server waits for the first to finish migrating, then takes the lock itself", .requiresPostgres)
    func serialises() async throws {
        try await withFreshPostgres { url in
            let journal = Journal()
            let logger = Logger(label: "migration-lock-test")
            let first = Task {
                try await MigrationLock.withLock(postgresURL: url, logger: logger) {
                    await journal.add("first starts")
                    try await Task.sleep(for: .milliseconds(800))
                    await journal.add("first ends")
                }
            }
            // Only once the first holds the lock does the second ask for it (polling, not guessing a delay).
            try await eventually { await !journal.events.isEmpty }
            try await MigrationLock.withLock(postgresURL: url, logger: logger) {
                await journal.add("second starts")
            }
            try await first.value
            #expect(await journal.events == ["first starts", "first ends", "second starts"])

            // Released on success: free for a third holder.
            #expect(try await lockIsFree(url))
            try await MigrationLock.withLock(postgresURL: url, logger: logger) {}
        }
    }

    @Test("a holder that fails releases the lock", .requiresPostgres)
    func releasedOnFailure() async throws {
        try await withFreshPostgres { url in
            let logger = Logger(label: "migration-lock-test")
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await MigrationLock.withLock(postgresURL: url, logger: logger) { throw Boom() }
            }
            #expect(try await lockIsFree(url))
            try await MigrationLock.withLock(postgresURL: url, logger: logger) {}
        }
    }
}
