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
            #expect(spans.allSatisfy { $0.kind == .server })
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
