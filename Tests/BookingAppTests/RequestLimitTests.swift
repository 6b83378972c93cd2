import Foundation
import Testing
import Vapor
@testable import BookingApp

/// What a client can make the server hold: bodies it is never going to need, connections that say nothing,
/// bodies that never finish. Real connections throughout, since that is where these live. Vapor hands a
/// request with a body to the application once the first body byte is in, so each test sends one.
@Suite("Hostile connections: bodies, time-outs and disconnects")
struct RequestLimitTests {
    /// A request head for `path` with these headers, ready for its body.
    static func head(_ method: String, _ path: String, _ headers: [String: String]) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n" + headers.map { "\($0.key): \($0.value)\r\n" }.sorted().joined() + "\r\n"
    }

    static func signUp(_ username: String) -> String {
        #"{"username": "\#(username)", "email_address": "\#(username)@example.com", "password": "password123", "confirm_password": "password123"}"#
    }

    @Test("a route that needs a token answers 401 (403 for a non-admin) before reading a byte more of the body")
    func accessBeforeBody() async throws {
        try await withBookingApp(.sqlite) { client in
            let user = try await client.userToken("plain")
            try await withLoopback(client.app) { loopback in
                let anonymous = try await RawConnection.open(port: loopback.port)
                try await anonymous.send(Self.head("POST", "/bookings/", ["Content-Type": "application/json", "Content-Length": "1000000"])
                                         + String(repeating: "x", count: 1024))
                let refused = try await anonymous.response()
                #expect(refused.status == 401)
                #expect(refused.body?.contains("authentication_required") == true)
                #expect(client.app.serverContext.requestBodies.inUse == 0, "nothing was set aside for the body")
                await anonymous.close()

                let forbidden = try await RawConnection.answer(
                    to: Self.head("POST", "/resources/", ["Authorization": "Token \(user)", "Content-Length": "100000"]) + "{", port: loopback.port)
                #expect(forbidden.status == 403)
                #expect(forbidden.body?.contains("admin_required") == true)
            }
        }
    }

    @Test("a declared Content-Length over the route's limit is 413 before the body is read; each route has its own limit")
    func declaredLength() async throws {
        try await withBookingApp(.sqlite) { client in
            let admin = try await client.adminToken()
            try await withLoopback(client.app) { loopback in
                // 16 KB for sign-up: one byte more is refused with only the first byte sent.
                let tooLarge = try await RawConnection.answer(
                    to: Self.head("POST", "/users/", ["Content-Type": "application/json", "Content-Length": "\(16 * 1024 + 1)"]) + "{", port: loopback.port)
                #expect(tooLarge.status == 413)
                #expect(tooLarge.body?.contains("payload_too_large") == true)

                // A resource's description may be 10,000 characters, escaped: 128 KB there.
                let description = String(repeating: "\\u00e9", count: 10_000)
                let fits = try await loopback.send(.POST, "/resources/", rawJSON: #"{"name": "Hall", "total_quantity": 1, "description": "\#(description)"}"#,
                                                  token: admin)
                #expect(fits.status == .created)
                let huge = String(repeating: "x", count: 129 * 1024)
                let refused = try await loopback.send(.POST, "/resources/", rawJSON: #"{"name": "Huge", "total_quantity": 1, "description": "\#(huge)"}"#,
                                                     token: admin)
                #expect(refused.status == .payloadTooLarge)
                #expect(refused.code == "payload_too_large")

                // Without a Content-Length (chunked), the limit holds as the body arrives.
                let chunked = try await RawConnection.open(port: loopback.port)
                let chunk = String(repeating: " ", count: 8 * 1024)
                let chunkHead = String(chunk.utf8.count, radix: 16)
                try await chunked.send(Self.head("POST", "/users/", ["Content-Type": "application/json", "Transfer-Encoding": "chunked"]))
                for _ in 0..<3 { try await chunked.send("\(chunkHead)\r\n\(chunk)\r\n") }
                let unbounded = try await chunked.response()
                #expect(unbounded.status == 413)
                await chunked.close()

                let names = try await client.send(.GET, "/resources/").json["resources"] as? [[String: Any]]
                #expect(names?.map { $0["name"] as? String } == ["Hall"], "only the resource that fitted was created")
                #expect(try await client.send(.POST, "/login/", json: ["username": "padded", "password": "password123"]).status == .unauthorized)
            }
        }
    }

    @Test("bodies being read share REQUEST_BODY_MEMORY: past it, 503 server_busy at once, and the room comes back")
    func budget() async throws {
        try await withBookingApp(.sqlite, configure: { $0.requestBodyMemory = 20_000 }) { client in
            try await withLoopback(client.app) { loopback in
                let length = 15_000
                let padded = Self.signUp("padded") + String(repeating: " ", count: length - Self.signUp("padded").utf8.count)
                let head = Self.head("POST", "/users/", ["Content-Type": "application/json", "Content-Length": "\(length)"])

                let slow = try await RawConnection.open(port: loopback.port)
                try await slow.send(head + "{")
                try await waitUntil { client.app.serverContext.requestBodies.inUse == length }

                let busy = try await RawConnection.answer(to: head + "{", port: loopback.port)
                #expect(busy.status == 503)
                #expect(busy.body?.contains("server_busy") == true)
                #expect(busy.header("Retry-After") == "1")
                // An operational route reads a body it ignores within the same budget.
                let probe = try await RawConnection.answer(to: Self.head("GET", "/health", ["Content-Length": "\(length)"]) + "{", port: loopback.port)
                #expect(probe.status == 503)
                #expect(probe.body?.contains("server_busy") == true)

                try await slow.send(String(padded.dropFirst()))
                #expect(try await slow.response().status == 201)
                await slow.close()
                try await waitUntil { client.app.serverContext.requestBodies.inUse == 0 }
                let again = try await loopback.send(.POST, "/users/", rawJSON: Self.signUp("later"))
                #expect(again.status == .created)
            }
        }
    }

    @Test("a body that does not arrive within REQUEST_BODY_TIMEOUT is 408 request_timeout; nothing is created")
    func bodyTimeout() async throws {
        // The connection's idle time-out is far off: a 408 can only come from the body's time-out.
        try await withBookingApp(.sqlite, configure: { $0.requestBodyTimeout = 0.5; $0.httpIdleTimeout = 300 }) { client in
            try await withLoopback(client.app) { loopback in
                let stalled = try await RawConnection.open(port: loopback.port)
                try await stalled.send(Self.head("POST", "/users/", ["Content-Type": "application/json", "Content-Length": "200"])
                                       + Self.signUp("padded").prefix(20))
                let answer = try await stalled.response(within: .seconds(120))
                #expect(answer.status == 408)
                #expect(answer.body?.contains("request_timeout") == true)
                #expect(client.app.serverContext.requestBodies.inUse == 0)
                await stalled.close()
                #expect(try await client.send(.POST, "/login/", json: ["username": "padded", "password": "password123"]).status == .unauthorized)
            }
        }
    }

    @Test("a client that leaves mid-body is logged and counted as 499, the client's doing, never as a 5xx")
    func disconnect() async throws {
        try await withBookingApp(.sqlite) { client in
            try await withLoopback(client.app) { loopback in
                let leaving = try await RawConnection.open(port: loopback.port)
                try await leaving.send(Self.head("POST", "/users/", ["Content-Type": "application/json", "Content-Length": "200"])
                                       + Self.signUp("padded").prefix(20))
                try await waitUntil { client.app.serverContext.requestBodies.inUse > 0 }
                await leaving.close()
                try await waitUntil { client.app.serverContext.requestBodies.inUse == 0 }

                var samples = MetricsTests.Samples("")
                try await waitUntil {
                    samples = MetricsTests.Samples(try await client.send(.GET, "/metrics").text)
                    return samples[#"http_requests_total{method="POST",route="/users",status="499"}"#] == 1
                }
                #expect(samples["booking_client_disconnects_total"] == 1)
                #expect(!samples.text.contains(#"status="5"#), "no 5xx recorded")
            }
        }
    }

    @Test("connections that say nothing, stop halfway through a head, or sit idle after a request are closed after HTTP_IDLE_TIMEOUT")
    func idleConnections() async throws {
        try await withBookingApp(.sqlite, configure: { $0.httpIdleTimeout = 3 }, ownEventLoops: true) { client in
            try await withLoopback(client.app) { loopback in
                // Each connection's bytes and its close are timed on its event loop as they happen.
                let loops = client.app.eventLoopGroup
                let silent = try await RawConnection.open(port: loopback.port, on: loops)
                let halfHead = try await RawConnection.open(port: loopback.port, on: loops, sending: "GET /health HTTP/1.1\r\nHost: loc")
                let keptAlive = try await RawConnection.open(port: loopback.port, on: loops, sending: Self.head("GET", "/health", [:]))
                #expect(try await keptAlive.response().status == 200)

                for connection in [silent, halfHead, keptAlive] {
                    let end = try await connection.wait(upTo: .seconds(120)) { $0.closed }
                    #expect(end.closed, "the server closed it")
                    // Closed after about the time-out's silence (3 s): not at once, and not ten times later.
                    let silence = try #require(end.silenceBeforeClose)
                    #expect(silence > .milliseconds(1500) && silence < .seconds(30), "\(silence)")
                }

                // The time-out is for silence: a connection that keeps sending is not cut off, even one whose
                // head trickles in (ending that is the proxy's client_header_timeout, docs/deploy.md).
                let busy = try await RawConnection.open(port: loopback.port, on: loops, sending: "GET /health HTTP/1.1\r\n")
                // Six seconds in all, a line every 300 ms: past the 3 s time-out, never 3 s silent.
                try await busy.trickle("X-Keep: talking\r\n", every: .milliseconds(300), times: 20)
                let stillOpen = try await busy.wait(upTo: .milliseconds(100))
                #expect(!stillOpen.closed)
                await busy.close()
            }
        }
    }

    @Test("a compressed body is refused 415, not inflated: nothing is created")
    func compressedBody() async throws {
        try await withBookingApp(.sqlite) { client in
            try await withLoopback(client.app) { loopback in
                // A valid sign-up of "zipped", gzipped.
                let gzip = try #require(Data(base64Encoded: "H4sIAAAAAAACA6tWKi1OLcpLzE1VslJQqsosKEhNUdJRUErNTczMiU9MSSlKLS5GSDmkViTmFuSk6iXn54KUFSQWF5fnF6WAVMDYhkbGIKnk/Ly0zKLceFxKagGM+oAYewAAAA=="))
                let head = Self.head("POST", "/users/", ["Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": "\(gzip.count)"])
                let answer = try await RawConnection.answer(to: Array(head.utf8) + Array(gzip), port: loopback.port)
                #expect(answer.status == 415)
                #expect(answer.body?.contains("unsupported_media_type") == true)
                #expect(try await client.send(.POST, "/login/", json: ["username": "zipped", "password": "password123"]).status == .unauthorized)
            }
        }
    }

    /// Polls `condition` every 10 ms for up to two minutes (the bound only keeps a broken test from hanging).
    func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while try await !condition() {
            try #require(ContinuousClock.now < deadline, "timed out waiting")
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
