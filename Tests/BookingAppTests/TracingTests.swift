import Foundation
import InMemoryTracing
import Logging
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
            let internals: Set<String> = ["batch wait", "take batch", "password queue", "password hash", "password verify"]
            #expect(spans.filter { $0.kind != .client && !internals.contains($0.operationName) }.allSatisfy { $0.kind == .server && $0.operationName.contains(" /") })
            #expect(spans.filter { $0.kind == .server }.count == 9, "a span per request: \(spans.filter { $0.kind == .server }.map(\.operationName))")
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

    @Test("a login's password check is a span of its request, after its wait in the hasher's queue")
    func passwordSpans() async throws {
        let tracer = InMemoryTracer()
        try await withBookingApp(.sqlite, tracer: tracer) { client in
            try await client.signUp("hasher", password: "password123")
            tracer.clearAll()
            _ = try await client.login("hasher", password: "password123")
            tracer.forceFlush()
            let spans = tracer.finishedSpans
            let login = try #require(spans.first { $0.operationName == "POST /login" })
            let waiting = try #require(spans.first { $0.operationName == "password queue" })
            let verify = try #require(spans.first { $0.operationName == "password verify" })
            #expect(waiting.parentSpanID == login.spanID && verify.parentSpanID == login.spanID)
        }
    }

    @Test("each webhook attempt is a client span with its message id and status, and the receiver gets its trace in the headers; an e-mail's attempt likewise")
    func deliverySpans() async throws {
        let tracer = InMemoryTracer()
        try await withReceiver { receiver in
            let script = SMTPClientTests.Script(answer: SMTPClientTests.usual)
            try await SMTPClientTests.withServer(script) { port, _ in
                try await withBookingApp(.sqlite, configure: { config in
                    allowLoopback(&config)
                    config.smtpServer = SMTPServer(host: "127.0.0.1", port: port, security: .startTLS, requireTLS: false)
                }, tracer: tracer) { client in
                    let admin = try await client.adminToken()
                    let relay = try #require(client.app.domain.mail)
                    try await relay.runOnce()
                    _ = try await client.createWebhook(receiver.url, events: ["booking.created"], admin: admin)
                    let id = try await client.createResource("Skiff", total: 2, adminToken: admin)
                    _ = try await client.book(id, quantity: 1, token: try await client.userToken("sailor"))
                    tracer.clearAll()
                    #expect(try await client.app.domain.relay.runOnce() == 1)
                    #expect(try await relay.runOnce() == 1)
                    tracer.forceFlush()
                    let spans = tracer.finishedSpans
                    let post = try #require(spans.first { $0.operationName == "webhook POST" })
                    let delivered = try #require(receiver.received.last)
                    #expect(post.kind == .client && post.parentSpanID == nil, "the relay runs in no request")
                    #expect(post.attributes["webhook.id"]?.toSpanAttribute() == .string(delivered.id)
                            && post.attributes["http.response.status_code"]?.toSpanAttribute() == .int64(200))
                    #expect(delivered.headers.first(name: InMemoryTracer.traceIDKey) == post.traceID
                            && delivered.headers.first(name: InMemoryTracer.spanIDKey) == post.spanID, "the receiver can continue the trace")
                    let smtp = try #require(spans.first { $0.operationName == "smtp send" })
                    #expect(smtp.kind == .client && smtp.attributes["mail.template"]?.toSpanAttribute() == .string("booking.created"))
                    let message = try #require(MailRelayTests.messages(script).last)
                    #expect(MailRelayTests.header(InMemoryTracer.traceIDKey, of: message) == smtp.traceID)
                }
            }
        }
    }

    @Test("the exporter's diagnostics are counted: spans a full queue dropped (as swift-otel 1.6 reports them) and failed exports")
    func exporterDiagnostics() throws {
        let metrics = AppMetrics(databasePoolCapacity: 1)
        var diagnostics = Logger(label: "trace-export") { _ in
            TraceDiagnostics(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                             dropped: metrics.traceSpansDropped, failed: metrics.traceExportFailures)
        }
        diagnostics.logLevel = .trace
        diagnostics.warning("Spans were dropped this iteration because queue was full", metadata: ["queue_size": "2048", "dropped_count": "7"])
        diagnostics.warning("Spans were dropped this iteration because queue was full", metadata: ["queue_size": "2048", "dropped_count": "5"])
        diagnostics.warning("Failed to export batch.")
        diagnostics.debug("Exported batch.")
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains("booking_trace_spans_dropped_total 12") && text.contains("booking_trace_export_failures_total 1"), "\(text)")
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
