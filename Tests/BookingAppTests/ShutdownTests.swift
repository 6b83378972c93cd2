import AsyncHTTPClient
import Foundation
import NIOPosix
import Testing
import Vapor
@testable import AsyncPrimitives
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// Requests still running when the application shuts down: shutdown waits for them (up to
/// `SHUTDOWN_TIMEOUT`), refuses new ones, and a request that outlives the wait is answered 503 by closed
/// databases; nothing a request reaches brings the process down. The requests are held in flight by
/// pausing their resource's batch queue, so what is in flight when is exact, not a matter of timing.
@Suite("Shutting down with requests in flight")
struct ShutdownTests {
    /// Sends `count` bookings of one unit of a fresh resource, and returns once all of them wait in its paused
    /// batch queue: the tasks, the resource and its queue.
    static func bookingsInFlight(_ count: Int, _ client: TestClient) async throws
        -> (tasks: [Task<TestClient.Reply, any Error>], resource: Int, queue: BatchQueue<Int, BatchedTake, Taken>) {
        let id = try await client.createResource("Late show", total: 10, adminToken: try await client.adminToken())
        let token = try await client.userToken("latecomer")
        let queue = try #require(client.app.domain.storage.takeBatches).queue
        #expect(queue.pause(id))
        var tasks: [Task<TestClient.Reply, any Error>] = []
        for _ in 0..<count {
            tasks.append(Task { try await client.book(id, quantity: 1, token: token) })
        }
        try await eventually { queue.queued(for: id) == count }
        return (tasks, id, queue)
    }

    @Test("shutdown waits for the requests in flight, which are answered; a request arriving meanwhile is 503 shutting_down",
          arguments: TestDatabase.allCases)
    func drainsRequestsInFlight(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: { $0.shutdownTimeout = 600 }) { client in
            let app = client.app
            let drain = app.serverContext.requestsInFlight
            let (tasks, id, queue) = try await Self.bookingsInFlight(4, client)
            #expect(drain.inProgress == 4)

            let shutdown = Task { try await app.asyncShutdown() }
            try await eventually { drain.isClosed }
            let late = try await client.send(.GET, "/resources/\(id)/")
            #expect(late.status == .serviceUnavailable)
            #expect(late.code == "shutting_down")
            #expect(late.headers.first(name: .retryAfter) == "1")
            // Still waiting for the four: nothing has been taken down under them.
            #expect(!app.didShutdown)
            #expect(drain.inProgress == 4)

            queue.resume(id)
            var ids: [Int] = []
            for task in tasks {
                let reply = try await task.value
                #expect(reply.status == .created, "\(reply.text)")
                ids.append(try #require(reply.json["id"] as? Int))
            }
            #expect(Set(ids).count == 4)
            try await shutdown.value
            #expect(app.didShutdown)
            #expect(drain.inProgress == 0)
        }
    }

    @Test("a request that outlives SHUTDOWN_TIMEOUT finds the databases closed: 503 database_unavailable, and the process goes on",
          arguments: TestDatabase.allCases)
    func requestOutlivesTheDrain(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: { $0.shutdownTimeout = 0.2 }) { client in
            let app = client.app
            let (tasks, id, queue) = try await Self.bookingsInFlight(3, client)
            // The drain gives up on the three after 0.2 s; the storage, the pools and the configuration go.
            try await app.asyncShutdown()
            #expect(app.didShutdown, "and with it, the application's storage is cleared")

            // Now they run: the access log, the metrics and the error mapping work from what they captured.
            queue.resume(id)
            for task in tasks {
                let reply = try await task.value
                #expect(reply.status == .serviceUnavailable, "\(reply.text)")
                #expect(reply.code == "database_unavailable")
            }
        }
    }

    @Test("over real connections: the requests in flight at a stop get an answer or a closed connection, never a hang or a crash")
    func overLoopback() async throws {
        try await withBookingApp(.sqlite, configure: { $0.shutdownTimeout = 0.5 }, ownEventLoops: true) { client in
            let app = client.app
            let id = try await client.createResource("Encore", total: 10, adminToken: try await client.adminToken())
            let token = try await client.userToken("encore")
            let queue = try #require(app.domain.storage.takeBatches).queue
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            #expect(queue.pause(id))
            let loopback = LoopbackClient(port: port, http: http)
            let tasks = (0..<3).map { _ in
                Task { try await loopback.send(.POST, "/bookings/", json: ["resource": id, "purchase_quantity": 1], token: token) }
            }
            try await eventually { queue.queued(for: id) == 3 }

            // As `serve` stops: the server first (it waits SHUTDOWN_TIMEOUT, then closes the connections),
            // then the application (the drain waits again, then the storage goes). Then the queue moves.
            await app.server.shutdown()
            try await app.asyncShutdown()
            queue.resume(id)
            for task in tasks {
                switch await task.result {
                case .success(let reply):
                    #expect(reply.status == .serviceUnavailable, "an answer, if any, is an outage")
                case .failure(let error):
                    #expect(error is HTTPClientError, "the connection was closed: \(error)")
                }
            }
            try await http.shutdown()
        }
    }

    @Test("Drain: admits until closed; drained returns at once when idle, when the last piece leaves, or when its time is up")
    func drainPrimitive() async throws {
        let drain = Drain()
        #expect(drain.enter() && drain.enter())
        drain.leave()
        let waiting = Task { await drain.drained(within: .seconds(600)) }
        try await eventually { drain.isClosed }
        #expect(!drain.enter(), "nothing is admitted once the drain has begun")
        drain.leave()
        #expect(await waiting.value == 0)

        let stuck = Drain()
        #expect(stuck.enter())
        #expect(await stuck.drained(within: .milliseconds(50)) == 1, "the time ran out with one still in progress")
        #expect(await Drain().drained(within: .seconds(600)) == 0)
    }
}
