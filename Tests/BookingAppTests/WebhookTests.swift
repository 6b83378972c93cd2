import Foundation
import Synchronization
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// A webhook receiver on 127.0.0.1: records every request and answers with the statuses it is told, in
/// order (then 200).
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        let id: String
        let timestamp: String
        let signature: String
        let body: [UInt8]
        /// Every header, as sent.
        var headers: HTTPHeaders = [:]
        var message: WireMessage { get throws { try JSONDecoder().decode(WireMessage.self, from: Data(body)) } }
    }

    private let state = Mutex<(received: [Received], answers: [UInt])>(([], []))
    let app: Application
    let port: Int

    private init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    static func start() async throws -> WebhookReceiver {
        let app = try await Application.make(.testing)
        let box = Mutex<WebhookReceiver?>(nil)
        app.post("hook") { req -> Response in
            let receiver = box.withLock { $0 }!
            let body = req.body.data.map { Array($0.readableBytesView) } ?? []
            let status = receiver.state.withLock { state -> UInt in
                state.received.append(Received(id: req.headers.first(name: "webhook-id") ?? "", timestamp: req.headers.first(name: "webhook-timestamp") ?? "",
                                               signature: req.headers.first(name: "webhook-signature") ?? "", body: body, headers: req.headers))
                return state.answers.isEmpty ? 200 : state.answers.removeFirst()
            }
            let response = Response(status: HTTPResponseStatus(statusCode: Int(status)))
            if status == 302 { response.headers.replaceOrAdd(name: .location, value: "http://127.0.0.1:1/elsewhere") }
            return response
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let receiver = WebhookReceiver(app: app, port: try #require(app.http.server.shared.localAddress?.port))
        box.withLock { $0 = receiver }
        return receiver
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var received: [Received] { state.withLock { $0.received } }

    func answer(_ statuses: UInt...) {
        state.withLock { $0.answers += statuses }
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }
}

func withReceiver(_ test: (WebhookReceiver) async throws -> Void) async throws {
    let receiver = try await WebhookReceiver.start()
    do {
        try await test(receiver)
    } catch {
        try? await receiver.stop()
        throw error
    }
    try await receiver.stop()
}

/// Webhooks to loopback are allowed in these tests (they are refused by default: `ssrf` below).
func allowLoopback(_ config: inout AppConfig) {
    config.webhookAllowPrivateNetworks = true
}

extension TestClient {
    func createWebhook(_ url: String, events: [String], admin: String) async throws -> (id: Int, secret: String) {
        let reply = try await send(.POST, "/webhooks/", token: admin, json: ["url": url, "events": events, "description": "test"])
        #expect(reply.status == .created, "\(reply.text)")
        let webhook = try reply.webhook
        return (webhook.id, try #require(webhook.secret))
    }
}

@Suite("Webhooks")
struct WebhookTests {
    @Test("every event an endpoint wants arrives once, in order, signed as Standard Webhooks; the secret is shown once",
          arguments: TestDatabase.allCases)
    func delivery(db: TestDatabase) async throws {
        try await withReceiver { receiver in
            try await withBookingApp(db, configure: allowLoopback) { client in
                let admin = try await client.adminToken()
                let (hook, secret) = try await client.createWebhook(receiver.url, events: ["booking.created", "booking.cancelled"], admin: admin)
                #expect(secret.hasPrefix("whsec_"))
                let shown = try await client.send(.GET, "/webhooks/\(hook)/", token: admin)
                #expect(try shown.webhook.secret == nil && !shown.text.contains(secret))

                let id = try await client.createResource("Hall", total: 5, adminToken: admin)
                let user = try await client.userToken("ada")
                var bookings: [Int] = []
                for _ in 0..<3 { bookings.append(try await client.book(id, quantity: 1, token: user).booking.id) }
                #expect(try await client.send(.DELETE, "/bookings/\(bookings[1])/", token: user).status == .ok)

                #expect(try await client.app.domain.relay.runOnce() == 4)
                #expect(try await client.app.domain.relay.runOnce() == 0, "nothing is sent twice")
                let received = receiver.received
                #expect(try received.map { try $0.message.type } == ["booking.created", "booking.created", "booking.created", "booking.cancelled"])
                let ids = received.map(\.id)
                #expect(Set(ids).count == 4 && ids.allSatisfy { $0.hasPrefix("evt_") })
                for message in received {
                    #expect(WebhookSignature.verify(header: message.signature, secret: secret, messageID: message.id,
                                                    timestamp: try #require(Int(message.timestamp)), body: message.body))
                    #expect(!WebhookSignature.verify(header: message.signature, secret: WebhookSignature.newSecret(), messageID: message.id,
                                                     timestamp: try #require(Int(message.timestamp)), body: message.body))
                    let data = try #require(try message.message.data)
                    #expect("evt_\(data.id)" == message.id)
                }
                let cancelled = try #require(try received.last?.message.data)
                #expect(cancelled.booking == bookings[1])
                #expect(cancelled.stock == WireEvent.Stock(total: 5, available: 3, held: 0))

                let deliveries = try await client.send(.GET, "/webhooks/\(hook)/deliveries/", token: admin).deliveries
                #expect(deliveries.count == 4 && deliveries.allSatisfy { $0.statusCode == 200 && $0.succeeded })
                #expect(try await client.send(.GET, "/webhooks/\(hook)/", token: admin).webhook.lastEventID
                        == (try await client.head(admin: admin)))

                // Counted: 4 delivered, none failed; every numbered event (the admin, the resource, the user, 4 changes).
                let samples = MetricsTests.Samples(try await client.send(.GET, "/metrics").text)
                #expect(samples[#"booking_webhook_deliveries_total{outcome="success"}"#] == 4)
                #expect(samples[#"booking_webhook_deliveries_total{outcome="failure"}"#] == 0)
                #expect(samples["booking_events_total"] == 7)
            }
        }
    }

    @Test("a failed attempt is retried after its back-off with the same webhook-id, in order; 410 disables the endpoint and enabling resumes it",
          arguments: TestDatabase.allCases)
    func retries(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withReceiver { receiver in
            try await withBookingApp(db, configure: allowLoopback, clock: clock) { client in
                let admin = try await client.adminToken()
                let (hook, _) = try await client.createWebhook(receiver.url, events: ["resource.created"], admin: admin)
                _ = try await client.createResource("One", total: 1, adminToken: admin)
                _ = try await client.createResource("Two", total: 1, adminToken: admin)
                let relay = client.app.domain.relay

                receiver.answer(500)
                #expect(try await relay.runOnce() == 0)
                let failed = try await client.send(.GET, "/webhooks/\(hook)/", token: admin).webhook
                #expect(failed.consecutiveFailures == 1)
                #expect(failed.nextAttemptAt == clock.now().addingTimeInterval(10).wireFormat)
                clock.advance(by: 9)
                #expect(try await relay.runOnce() == 0, "not before its back-off")
                #expect(receiver.received.count == 1)
                clock.advance(by: 1)
                #expect(try await relay.runOnce() == 2)
                let ids = receiver.received.map(\.id)
                #expect(ids.count == 3 && ids[0] == ids[1] && ids[1] != ids[2], "the failed event again, then the next")
                #expect(try receiver.received.map { try $0.message.data?.resourceName } == ["One", "One", "Two"])

                // A second failure backs off twice as long.
                _ = try await client.createResource("Three", total: 1, adminToken: admin)
                receiver.answer(503, 503)
                #expect(try await relay.runOnce() == 0)
                clock.advance(by: 10)
                #expect(try await relay.runOnce() == 0)
                #expect(try await client.send(.GET, "/webhooks/\(hook)/", token: admin).webhook.nextAttemptAt
                        == clock.now().addingTimeInterval(20).wireFormat)
                clock.advance(by: 20)
                #expect(try await relay.runOnce() == 1)

                // 410 Gone: disabled at once, and nothing more is sent until an admin enables it.
                _ = try await client.createResource("Four", total: 1, adminToken: admin)
                receiver.answer(410)
                #expect(try await relay.runOnce() == 0)
                let gone = try await client.send(.GET, "/webhooks/\(hook)/", token: admin).webhook
                #expect(!gone.enabled)
                #expect(gone.disabledReason?.contains("410") == true)
                clock.advance(by: 86400)
                let before = receiver.received.count
                #expect(try await relay.runOnce() == 0)
                #expect(receiver.received.count == before)
                #expect(try await client.send(.PATCH, "/webhooks/\(hook)/", token: admin, json: ["enabled": true]).status == .ok)
                #expect(try await relay.runOnce() == 1)
                #expect(try receiver.received.last?.message.data?.resourceName == "Four")

                // The attempts are all listed, newest first, with their status codes.
                let deliveries = try await client.send(.GET, "/webhooks/\(hook)/deliveries/", token: admin).deliveries
                #expect(deliveries.compactMap(\.statusCode) == [200, 410, 200, 503, 503, 200, 200, 500])
            }
        }
    }

    @Test("after WEBHOOK_MAX_FAILURES failures in a row the endpoint is disabled", arguments: [TestDatabase.sqlite])
    func disabledAfterFailures(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withReceiver { receiver in
            try await withBookingApp(db, configure: { allowLoopback(&$0); $0.webhookMaxFailures = 3 }, clock: clock) { client in
                let admin = try await client.adminToken()
                let (hook, _) = try await client.createWebhook(receiver.url, events: ["resource.created"], admin: admin)
                _ = try await client.createResource("One", total: 1, adminToken: admin)
                receiver.answer(500, 500, 500)
                for _ in 0..<3 {
                    _ = try await client.app.domain.relay.runOnce()
                    clock.advance(by: 86400)
                }
                let endpoint = try await client.send(.GET, "/webhooks/\(hook)/", token: admin).webhook
                #expect(!endpoint.enabled)
                #expect(endpoint.consecutiveFailures == 3)
                #expect(receiver.received.count == 3)
            }
        }
    }

    @Test("a relay that dies holding an endpoint loses nothing: when its lease ends, the next relay sends from the cursor with the same webhook-id",
          arguments: TestDatabase.allCases)
    func deadRelay(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withReceiver { receiver in
            try await withBookingApp(db, configure: allowLoopback, clock: clock) { client in
                let admin = try await client.adminToken()
                let (hook, _) = try await client.createWebhook(receiver.url, events: ["resource.created"], admin: admin)
                _ = try await client.createResource("One", total: 1, adminToken: admin)
                let storage = client.app.domain.storage
                _ = try await storage.events.sequence()
                // A relay leases the endpoint and dies before it records anything.
                let head = try await storage.events.head()
                let leased = try await storage.webhooks.claimDue(at: clock.now(), head: head, leaseUntil: clock.now().addingTimeInterval(40),
                                                                 token: "dead", limit: 10)
                #expect(leased.map(\.endpoint.id) == [hook])
                #expect(try await client.app.domain.relay.runOnce() == 0, "leased: nobody else sends")
                #expect(receiver.received.isEmpty)
                clock.advance(by: 40)
                #expect(try await client.app.domain.relay.runOnce() == 1)
                #expect(receiver.received.map(\.id) == ["evt_\(head)"])
            }
        }
    }

    @Test("three replicas' relays share the endpoints: every event reaches each endpoint exactly once when every attempt succeeds", .requiresPostgres)
    func replicasShare() async throws {
        try await withReceiver { receiver in
            try await withPostgresReplicas(3, configure: allowLoopback) { clients in
                let admin = try await clients[0].adminToken()
                for _ in 0..<3 { _ = try await clients[0].createWebhook(receiver.url, events: ["booking.created"], admin: admin) }
                let id = try await clients[0].createResource("Shared", total: 100, adminToken: admin)
                let user = try await clients[1].userToken("sharer")
                for index in 0..<12 { #expect(try await clients[index % 3].book(id, quantity: 1, token: user).status == .created) }
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for client in clients { for _ in 0..<3 { group.addTask { try await client.app.domain.relay.runOnce() } } }
                    _ = try await group.reduce(0, +)
                }
                for client in clients { _ = try await client.app.domain.relay.runOnce() }
                let received = receiver.received
                #expect(received.count == 36, "12 events to 3 endpoints")
                #expect(Set(received.map(\.id)).count == 12)
                #expect(Dictionary(grouping: received, by: \.id).values.allSatisfy { $0.count == 3 })
            }
        }
    }

    @Test("test pings and manual retries are sent at once and recorded; bad input is a 400 that creates nothing; only admins manage webhooks",
          arguments: TestDatabase.allCases)
    func management(db: TestDatabase) async throws {
        try await withReceiver { receiver in
            try await withBookingApp(db, configure: allowLoopback) { client in
                let admin = try await client.adminToken()
                let user = try await client.userToken("mallory")
                #expect(try await client.send(.POST, "/webhooks/", token: user, json: ["url": receiver.url, "events": ["booking.created"]]).status == .forbidden)
                #expect(try await client.send(.GET, "/webhooks/").status == .unauthorized)
                let bad: [[String: Any]] = [
                    ["events": ["booking.created"]], ["url": receiver.url], ["url": receiver.url, "events": []],
                    ["url": receiver.url, "events": ["booking.made"]], ["url": "ftp://example.com/", "events": ["booking.created"]],
                    ["url": "not a url", "events": ["booking.created"]], ["url": "http://user:pw@127.0.0.1/", "events": ["booking.created"]],
                    ["url": receiver.url, "events": ["booking.created"], "description": String(repeating: "x", count: 501)],
                ]
                for body in bad {
                    let reply = try await client.send(.POST, "/webhooks/", token: admin, json: body)
                    #expect(reply.status == .badRequest, "\(body): \(reply.text)")
                }
                #expect(try await client.send(.GET, "/webhooks/", token: admin).webhooks.isEmpty)
            // The same forms carrying a public address are fine.
            for url in ["http://[2002:808:808::1]/", "http://[::ffff:0:8.8.8.8]/", "http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/"] {
                let reply = try await client.send(.POST, "/webhooks/", token: admin, json: ["url": url, "events": ["booking.created"]])
                #expect(reply.status == .created, "\(url): \(reply.text)")
            }

                let (hook, secret) = try await client.createWebhook(receiver.url, events: ["booking.created"], admin: admin)
                let ping = try await client.send(.POST, "/webhooks/\(hook)/test", token: admin)
                #expect(ping.status == .created)
                let delivery = try ping.decode(WireDelivery.self)
                #expect(delivery.eventType == "ping" && delivery.statusCode == 200)
                let pinged = try #require(receiver.received.last)
                #expect(try pinged.message.type == "ping")
                #expect(WebhookSignature.verify(header: pinged.signature, secret: secret, messageID: pinged.id,
                                                timestamp: try #require(Int(pinged.timestamp)), body: pinged.body))

                // A redirect is not followed: it is a failed attempt.
                let id = try await client.createResource("R", total: 1, adminToken: admin)
                #expect(try await client.book(id, quantity: 1, token: user).status == .created)
                receiver.answer(302)
                _ = try await client.app.domain.relay.runOnce()
                let attempts = try await client.send(.GET, "/webhooks/\(hook)/deliveries/", token: admin).deliveries
                let redirected = try #require(attempts.first)
                #expect(redirected.statusCode == 302 && !redirected.succeeded)
                let deliveryID = redirected.id
                let retried = try await client.send(.POST, "/webhooks/\(hook)/deliveries/\(deliveryID)/retry", token: admin)
                #expect(retried.status == .created, "\(retried.text)")
                let retry = try retried.decode(WireDelivery.self)
                #expect(retry.webhookID == redirected.webhookID)
                #expect(retry.trigger == "retry" && retry.statusCode == 200)
                #expect(try await client.send(.POST, "/webhooks/\(hook)/deliveries/999999/retry", token: admin).status == .notFound)

                let patched = try await client.send(.PATCH, "/webhooks/\(hook)/", token: admin, json: ["events": ["booking.cancelled"], "description": "renamed"])
                #expect(try patched.webhook.events == ["booking.cancelled"] && patched.webhook.description == "renamed")
                #expect(try await client.send(.PATCH, "/webhooks/\(hook)/", token: admin, json: ["events": ["nope"]]).status == .badRequest)
                #expect(try await client.send(.DELETE, "/webhooks/\(hook)/", token: admin).status == .noContent)
                #expect(try await client.send(.GET, "/webhooks/\(hook)/", token: admin).status == .notFound)
                #expect(try await client.send(.GET, "/webhooks/\(hook)/deliveries/", token: admin).status == .notFound)
            }
        }
    }

    @Test("by default webhooks may not reach loopback, private, link-local or metadata addresses", arguments: [TestDatabase.sqlite])
    func ssrf(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            for url in ["http://127.0.0.1:8080/", "http://localhost/", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data/",
                        "http://[::1]/", "http://192.168.0.10/", "http://[fd00:ec2::254]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
                        // IPv6 forms that carry a loopback or private IPv4 address: compatible, translated, 6to4,
                        // Teredo (server; client stored inverted), ISATAP, NAT64 (well-known and local-use).
                        "http://[::127.0.0.1]/", "http://[::ffff:0:127.0.0.1]/", "http://[2002:7f00:1::]/", "http://[2002:a00:1:1::1]/",
                        "http://[2001:0:7f00:1::1]/", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "http://[2607:f8b0::5efe:192.168.0.1]/",
                        "http://[2607:f8b0::200:5efe:10.1.1.1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b:1::808:808]/"] {
                let reply = try await client.send(.POST, "/webhooks/", token: admin, json: ["url": url, "events": ["booking.created"]])
                #expect(reply.status == .badRequest, "\(url): \(reply.text)")
                #expect(reply.field == "url" || reply.text.contains("url"))
            }
            #expect(try await client.send(.GET, "/webhooks/", token: admin).webhooks.isEmpty)
            // And the sender checks again at delivery time, whatever is stored.
            let sender = HTTPWebhookSender(eventLoopGroup: client.app.eventLoopGroup, timeout: 2, allowPrivateNetworks: false)
            let outcome = await sender.send(OutgoingWebhook(url: "http://127.0.0.1:9/", secret: WebhookSignature.newSecret(), messageID: "evt_1",
                                                            eventType: "ping", event: nil, timestamp: Date()))
            #expect(outcome.statusCode == nil && outcome.error?.contains("WEBHOOK_ALLOW_PRIVATE_NETWORKS") == true)
        }
    }

    @Test("a receiver that answers 200 and then dribbles its body fails the attempt when WEBHOOK_TIMEOUT is up: the admin's ping returns, the attempt is a failure, the connection is closed mid-body",
          arguments: TestDatabase.allCases)
    func dribblingReceiver(db: TestDatabase) async throws {
        let dribbler = try await DribblingServer.start(every: .milliseconds(100))
        defer { Task { try? await dribbler.stop() } }
        try await withBookingApp(db, configure: { allowLoopback(&$0); $0.webhookTimeout = 1 }) { client in
            let admin = try await client.adminToken()
            let (hook, _) = try await client.createWebhook(dribbler.url, events: ["booking.created"], admin: admin)
            // 1,000 bytes at 10 a second would take 100 s; the ping is answered once the attempt has failed.
            let ping = try await client.send(.POST, "/webhooks/\(hook)/test", token: admin)
            let delivery = try ping.decode(WireDelivery.self)
            #expect(!delivery.succeeded, "\(ping.text)")
            #expect(delivery.error?.contains("timed out") == true, "\(ping.text)")
            #expect(delivery.statusCode == nil, "a 200 with a body cut short is no success")
            try await eventually { dribbler.snapshot.sentBeforeClose.count == 1 }
            let sent = try #require(dribbler.snapshot.sentBeforeClose.first)
            #expect(sent < 1000, "our side closed the connection mid-body (after \(sent) bytes)")
        }
    }

    @Test("a 200 whose body stops short of its Content-Length is a failed delivery, not a success", arguments: [TestDatabase.sqlite])
    func bodyCutShort(db: TestDatabase) async throws {
        let cutter = try await DribblingServer.start(every: .milliseconds(1), closeAfter: 10)
        defer { Task { try? await cutter.stop() } }
        try await withBookingApp(db, configure: allowLoopback) { client in
            let admin = try await client.adminToken()
            let (hook, _) = try await client.createWebhook(cutter.url, events: ["booking.created"], admin: admin)
            let ping = try await client.send(.POST, "/webhooks/\(hook)/test", token: admin)
            #expect(try !ping.decode(WireDelivery.self).succeeded, "\(ping.text)")
        }
    }

    @Test("two replicas' relays never send to one endpoint at once, even while an attempt dribbles for its whole time-out: the lease outlasts the attempt", .requiresPostgres)
    func leaseOutlastsAttempt() async throws {
        let dribbler = try await DribblingServer.start(every: .milliseconds(100))
        defer { Task { try? await dribbler.stop() } }
        let clock = ManualClock()
        try await withPostgresReplicas(2, configure: { allowLoopback(&$0); $0.webhookTimeout = 1 }, clock: clock) { replicas in
            let (first, second) = (replicas[0], replicas[1])
            let admin = try await first.adminToken()
            _ = try await first.createWebhook(dribbler.url, events: ["resource.created"], admin: admin)
            _ = try await first.createResource("Lease test", total: 1, adminToken: admin)
            // The first relay claims the endpoint and starts an attempt that dribbles until its time-out.
            let running = Task { try await first.app.domain.relay.runOnce() }
            try await eventually { dribbler.snapshot.open == 1 }
            // Almost a whole lease later on the clock, the second relay finds nothing due: the lease still holds.
            clock.advance(by: 2 * 1 + 30 - 1)
            #expect(try await second.app.domain.relay.runOnce() == 0)
            #expect(try await running.value == 0, "the dribbled attempt failed")
            // Both relays at once, again and again after each back-off: never two connections at a time.
            for _ in 0..<3 {
                try await eventually { dribbler.snapshot.open == 0 }
                clock.advance(by: 3600)
                async let one = first.app.domain.relay.runOnce()
                async let two = second.app.domain.relay.runOnce()
                #expect(try await one + two == 0)
            }
            try await eventually { dribbler.snapshot.open == 0 }
            let seen = dribbler.snapshot
            #expect(seen.mostOpenAtOnce == 1, "\(seen)")
            #expect(seen.connections == 4, "one attempt per round: \(seen)")
        }
    }
}
