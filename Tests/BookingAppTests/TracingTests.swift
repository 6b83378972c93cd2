import Foundation
import InMemoryTracing
import Testing
import Tracing
@testable import BookingApp

/// The server span each request gets when tracing is on, read from an in-memory tracer: named by the
/// route pattern, with the method, route, status and user, and nothing secret; a caller's span continued
/// only when trusted, else linked.
@Suite("Traces")
struct TracingTests {
    /// Every attribute of every span, as text, and every span's name.
    static func everything(_ spans: [FinishedInMemorySpan]) -> [String] {
        spans.flatMap { span in
            var texts = [span.operationName]
            span.attributes.forEach { key, value in texts.append("\(key)=\(value)") }
            return texts + span.links.map { "\($0.context)" } + span.errors.map { "\($0.error)" }
        }
    }

    @Test("one server span per request, named by its route pattern, with method, route, status and user; no token, password or raw path in any")
    func serverSpans() async throws {
        let tracer = InMemoryTracer()
        try await withBookingApp(.sqlite, tracer: tracer) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Kayak", total: 2, adminToken: admin)
            let token = try await client.userToken("paddler")
            let me = try await client.send(.GET, "/users/me/", token: token).user
            _ = try await client.book(id, quantity: 1, token: token)
            let feed = try await client.send(.POST, "/users/me/calendar-feed", token: token)
            let path = try #require(feed.json["path"] as? String)
            #expect(try await client.send(.GET, path).status == .ok)
            #expect(try await client.send(.GET, "/bookings/", headers: [("Authorization", "Token \(token)x")]).status == .unauthorized)
            tracer.forceFlush()
            let spans = tracer.finishedSpans
            #expect(spans.filter { $0.kind != .client }.allSatisfy { $0.kind == .server || ["batch wait", "take batch"].contains($0.operationName) })
            let booking = try #require(spans.first { $0.operationName == "POST /bookings" })
            #expect(booking.attributes["http.request.method"]?.toSpanAttribute() == .string("POST"))
            #expect(booking.attributes["http.route"]?.toSpanAttribute() == .string("/bookings"))
            #expect(booking.attributes["http.response.status_code"]?.toSpanAttribute() == .int64(201))
            #expect(booking.attributes["enduser.id"]?.toSpanAttribute() == .int64(Int64(me.id)))
            let calendar = try #require(spans.first { $0.operationName.hasPrefix("GET /calendar/") })
            #expect(calendar.operationName == "GET /calendar/:token" && calendar.attributes["enduser.id"] == nil, "no token, so no user")
            let refused = try #require(spans.first { $0.operationName == "GET /bookings" })
            #expect(refused.attributes["http.response.status_code"]?.toSpanAttribute() == .int64(401))
            let feedToken = String(path.dropFirst("/calendar/".count).dropLast(".ics".count))
            for secret in [token, admin, feedToken, "password123", TestAdmin.password] {
                #expect(!Self.everything(spans).contains { $0.contains(secret) }, "a span carries a secret")
            }
        }
    }

    @Test("a booking's trace: the server span, its wait for the batch and the batch's transaction, and the statements under the batch; no statement text or value",
          arguments: TestDatabase.allCases)
    func bookingTrace(db: TestDatabase) async throws {
        let tracer = InMemoryTracer()
        try await withBookingApp(db, tracer: tracer) { client in
            let id = try await client.createResource("Kayak", total: 2, adminToken: try await client.adminToken())
            let token = try await client.userToken("paddler")
            tracer.clearAll()
            _ = try await client.book(id, quantity: 1, token: token)
            tracer.forceFlush()
            let spans = tracer.finishedSpans
            let server = try #require(spans.first { $0.operationName == "POST /bookings" })
            let wait = try #require(spans.first { $0.operationName == "batch wait" })
            let batch = try #require(spans.first { $0.operationName == "take batch" })
            #expect(spans.allSatisfy { $0.traceID == server.traceID }, "one trace: \(spans.map(\.operationName))")
            #expect(wait.parentSpanID == server.spanID && batch.parentSpanID == server.spanID, "a batch of one is its request's child")
            #expect(wait.links.map { $0.context.inMemorySpanContext?.spanID } == [batch.spanID])
            #expect(batch.attributes["booking.resource_id"]?.toSpanAttribute() == .int64(Int64(id))
                    && batch.attributes["booking.batch_size"]?.toSpanAttribute() == .int64(1))
            let statements = spans.filter { $0.kind == .client }
            #expect(statements.contains { $0.parentSpanID == batch.spanID && $0.attributes["db.collection.name"] != nil },
                    "the take's statements are the batch's children: \(statements.map(\.operationName))")
            #expect(statements.allSatisfy { $0.attributes["db.system.name"]?.toSpanAttribute() == .string(db == .sqlite ? "sqlite" : "postgresql") })
            #expect(!Self.everything(spans).contains { $0.contains(token) || $0.contains("Kayak") }, "no values: \(Self.everything(statements))")
        }
    }

    @Test("a batch that serves three requests starts a trace of its own linked to each request's span, and each request's wait links to it",
          arguments: TestDatabase.allCases)
    func batchedTrace(db: TestDatabase) async throws {
        let tracer = InMemoryTracer()
        try await withBookingApp(db, tracer: tracer) { client in
            let id = try await client.createResource("Raft", total: 10, adminToken: try await client.adminToken())
            let tokens = [try await client.userToken("ann"), try await client.userToken("bob"), try await client.userToken("cyd")]
            tracer.clearAll()
            let queue = try BatchTests.queue(of: client)
            #expect(queue.pause(id))
            var tasks: [Task<TestClient.Reply, any Error>] = []
            for (index, token) in tokens.enumerated() {
                tasks.append(Task { try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 1]) })
                try await eventually { queue.queued(for: id) == index + 1 }
            }
            queue.resume(id)
            for task in tasks { #expect(try await task.value.status == .created) }
            tracer.forceFlush()
            let spans = tracer.finishedSpans
            let servers = spans.filter { $0.operationName == "POST /bookings" }
            let batch = try #require(spans.first { $0.operationName == "take batch" })
            #expect(servers.count == 3 && batch.parentSpanID == nil && !servers.contains { $0.traceID == batch.traceID })
            #expect(Set(batch.links.compactMap { $0.context.inMemorySpanContext?.spanID }) == Set(servers.map(\.spanID)))
            let waits = spans.filter { $0.operationName == "batch wait" }
            #expect(Set(waits.compactMap(\.parentSpanID)) == Set(servers.map(\.spanID)))
            #expect(waits.allSatisfy { $0.links.map { $0.context.inMemorySpanContext?.spanID } == [batch.spanID] })
            #expect(spans.contains { $0.kind == .client && $0.parentSpanID == batch.spanID }, "the transaction's statements are the batch's")
        }
    }

    @Test("a caller's span is continued only when TRACE_TRUST_INCOMING is set; otherwise the request starts its own trace, linked to the caller's")
    func propagation() async throws {
        for trusted in [false, true] {
            let tracer = InMemoryTracer()
            try await withBookingApp(.sqlite, configure: { $0.traceTrustIncoming = trusted }, tracer: tracer) { client in
                let caller = [(InMemoryTracer.traceIDKey, "caller-trace"), (InMemoryTracer.spanIDKey, "caller-span")]
                #expect(try await client.send(.GET, "/resources/", headers: caller).status == .ok)
                tracer.forceFlush()
                let span = try #require(tracer.finishedSpans.first { $0.operationName == "GET /resources" })
                if trusted {
                    #expect(span.traceID == "caller-trace" && span.parentSpanID == "caller-span" && span.links.isEmpty)
                } else {
                    #expect(span.traceID != "caller-trace" && span.parentSpanID == nil)
                    #expect(span.links.map { $0.context.inMemorySpanContext?.spanID } == ["caller-span"])
                }
            }
        }
    }
}
