import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import BookingApp
@testable import BookingDomain

/// E-mail from the event log through a scripted SMTP server on loopback, on both databases, the relay run
/// by hand and the clock held: each change that committed tells its person once, refused requests tell no
/// one, a 4xx is retried with the same Message-ID, a 5xx ends the message as failed.
@Suite("E-mail notifications")
struct MailRelayTests {
    /// The messages a scripted server received: each one's lines between DATA and the final dot, connection by connection.
    static func messages(_ script: SMTPClientTests.Script) -> [[String]] {
        var messages: [[String]] = []
        for lines in script.connections.withLockedValue({ $0 }) {
            var current: [String]?
            for line in lines {
                if current == nil, line == "DATA" { current = [] }
                else if line == ".", let message = current { messages.append(message); current = nil }
                else { current?.append(line) }
            }
        }
        return messages
    }

    /// A header's value, unfolded, its RFC 2047 encoded words decoded.
    static func header(_ name: String, of message: [String]) -> String? {
        guard let index = message.firstIndex(where: { $0.hasPrefix(name + ": ") }) else { return nil }
        var value = String(message[index].dropFirst(name.count + 2))
        for line in message[(index + 1)...] {
            guard line.hasPrefix(" ") else { break }
            value += line
        }
        guard value.contains("=?UTF-8?B?") else { return value }
        return value.split(separator: " ").map { word -> String in
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return String(word) }
            return String(decoding: Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data(), as: UTF8.self)
        }.joined()
    }

    /// The app with its mail going to `script`; `body` gets the client and the relay, whose first run has
    /// set the cursor (nothing before it is sent).
    static func withMail(_ db: TestDatabase, _ script: SMTPClientTests.Script, clock: ManualClock,
                         _ body: @escaping (TestClient, MailRelay) async throws -> Void) async throws {
        try await SMTPClientTests.withServer(script) { port, _ in
            try await withBookingApp(db, configure: { config in
                patientPool(&config)
                config.smtpServer = SMTPServer(host: "127.0.0.1", port: port, security: .startTLS, requireTLS: false)
                config.mailFrom = "bookings@example.com"
                config.publicURL = "https://bookings.example.com"
            }, clock: clock) { client in
                let relay = try #require(client.app.domain.mail)
                try await relay.runOnce()
                try await body(client, relay)
            }
        }
    }

    @Test("a booking and an admin's cancellation each tell the owner once; a refused booking tells no one", arguments: TestDatabase.allCases)
    func bookings(db: TestDatabase) async throws {
        let script = SMTPClientTests.Script(answer: SMTPClientTests.usual)
        try await Self.withMail(db, script, clock: ManualClock()) { client, relay in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Court", total: 1, adminToken: admin)
            let token = try await client.userToken("ada")
            let booking = try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 1]).booking
            #expect(try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 1]).status == .badRequest)
            #expect(try await client.send(.DELETE, "/bookings/\(booking.id)/", token: admin).status == .ok)
            #expect(try await relay.runOnce() == 2)
            #expect(try await relay.runOnce() == 0, "each message once")
            let messages = Self.messages(script)
            // Sent up to four at once, they may arrive in either order; each is dated by its change.
            #expect(Set(messages.compactMap { Self.header("Subject", of: $0) }) == ["Booked: Court", "Cancelled: Court"] && messages.count == 2)
            #expect(messages.allSatisfy { Self.header("To", of: $0) == "\"ada\" <ada@example.com>" })
            #expect(messages.allSatisfy { (Self.header("Message-ID", of: $0) ?? "").hasSuffix(".booking.created@example.com>")
                || (Self.header("Message-ID", of: $0) ?? "").hasSuffix(".booking.cancelled@example.com>") })
            let cancelled = try #require(messages.first { Self.header("Subject", of: $0) == "Cancelled: Court" })
            #expect(cancelled.contains { $0.contains("by an administrator") })
            #expect(messages.allSatisfy { $0.contains { $0.contains("https://bookings.example.com/my/bookings") } })
        }
    }

    @Test("a waiting-list offer tells its person until when it is held; a password change tells them too", arguments: TestDatabase.allCases)
    func offersAndSecurity(db: TestDatabase) async throws {
        let script = SMTPClientTests.Script(answer: SMTPClientTests.usual)
        try await Self.withMail(db, script, clock: ManualClock()) { client, relay in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Kayak", total: 1, adminToken: admin)
            let first = try await client.userToken("first")
            let booking = try await client.send(.POST, "/bookings/", token: first, json: ["resource": id, "purchase_quantity": 1]).booking
            let waiter = try await client.userToken("waiter")
            #expect(try await client.send(.POST, "/resources/\(id)/waitlist/", token: waiter, json: ["quantity": 1]).status == .created)
            #expect(try await client.send(.DELETE, "/bookings/\(booking.id)/", token: first).status == .ok)
            #expect(try await client.send(.POST, "/users/me/password", token: waiter,
                                          json: ["old_password": "password123", "new_password": "password456"]).status == .noContent)
            try await relay.runOnce()
            let toWaiter = Self.messages(script).filter { Self.header("To", of: $0)?.contains("waiter@example.com") == true }
            #expect(Set(toWaiter.compactMap { Self.header("Subject", of: $0) }) == ["A place came free: Kayak", "Your password was changed"])
            let offer = try #require(toWaiter.first { Self.header("Subject", of: $0) == "A place came free: Kayak" })
            #expect(offer.contains { $0.contains("is held for you until") && $0.contains("UTC") })
        }
    }

    @Test("a series refused for one full day rolls back and tells no one of its other days; an admin's deactivation tells its user",
          arguments: TestDatabase.allCases)
    func rollbackAndDeactivation(db: TestDatabase) async throws {
        let script = SMTPClientTests.Script(answer: SMTPClientTests.usual)
        try await Self.withMail(db, script, clock: ManualClock(CapacityInTimeTests.start)) { client, relay in
            let admin = try await client.adminToken()
            let days = try await CapacityInTimeTests.dated(client, "Studio", total: 1, schedule: SeriesTests.berlinDays, admin: admin)
            let taker = try await client.userToken("taker")
            _ = try await CapacityInTimeTests.book(client, days, 1, "2026-12-17", token: taker).booking
            let planner = try await client.userToken("planner")
            let refused = try await SeriesTests.series(client, days, start: "2026-12-10", rrule: "FREQ=WEEKLY;COUNT=4", onConflict: "fail", token: planner)
            #expect(refused.status == .badRequest && refused.code == "insufficient_quantity", "\(refused.text)")
            let plannerID = try await client.send(.GET, "/users/me/", token: planner).user.id
            #expect(try await client.send(.PATCH, "/users/\(plannerID)/", token: admin, json: ["is_active": false]).status == .ok)
            try await relay.runOnce()
            let messages = Self.messages(script)
            #expect(messages.compactMap { Self.header("To", of: $0) }.sorted() == ["\"planner\" <planner@example.com>", "\"taker\" <taker@example.com>"])
            #expect(messages.compactMap { Self.header("Subject", of: $0) }.sorted() == ["Booked: Studio", "Your account was deactivated"],
                    "the taker's booking, the planner's notice, and nothing of the series that did not commit")
        }
    }

    @Test("a 4xx is tried again after the back-off with the same Message-ID; a 5xx ends the message as failed", arguments: TestDatabase.allCases)
    func retries(db: TestDatabase) async throws {
        let refusals = NIOLockedValueBox(["451 greylisted", "550 no such mailbox"])
        let script = SMTPClientTests.Script { line, inData in
            if line.hasPrefix("RCPT"), let reply = refusals.withLockedValue({ $0.isEmpty ? nil : $0.removeFirst() }) { return reply }
            return SMTPClientTests.usual(line, inData)
        }
        let clock = ManualClock()
        try await Self.withMail(db, script, clock: clock) { client, relay in
            let id = try await client.createResource("Desk", total: 5, adminToken: try await client.adminToken())
            let token = try await client.userToken("bob")
            _ = try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 1]).booking
            _ = try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 2]).booking
            #expect(try await relay.runOnce() == 0, "the first greylisted, the second refused for good")
            let outbox = try await client.app.domain.storage.notifications.list(status: nil, limit: 10, offset: 0)
            #expect(outbox.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.failed, .queued])
            #expect(try await relay.runOnce() == 0, "not before the back-off")
            clock.advance(by: MailRelay.backoff(afterAttempts: 1))
            #expect(try await relay.runOnce() == 1)
            let sent = Self.messages(script)
            #expect(sent.count == 1)
            #expect(Self.header("Date", of: sent[0]) == MailMessage.rfc5322(clock.now().addingTimeInterval(-MailRelay.backoff(afterAttempts: 1))),
                    "dated when the booking was made, on every attempt")
            let ids = script.received.filter { $0.hasPrefix("RCPT") }.count
            #expect(ids == 3, "greylisted, refused, then sent")
            let final = try await client.app.domain.storage.notifications.list(status: nil, limit: 10, offset: 0)
            #expect(final.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.failed, .sent])
            #expect(final.first { $0.status == .sent }?.attempts == 2 && final.first { $0.status == .failed }?.lastError?.hasPrefix("550") == true)

            // The admin reads the outbox and sends the failed one again: the server takes it now.
            let admin = try await client.adminToken()
            let failed = try await client.send(.GET, "/notifications/?status=failed", token: admin).decode([NotificationResponse].self)
            #expect(failed.count == 1 && failed[0].lastError?.hasPrefix("550") == true && failed[0].recipient == "bob@example.com")
            #expect(try await client.send(.GET, "/notifications/", token: token).status == .forbidden)
            #expect(try await client.send(.POST, "/notifications/\(failed[0].id)/retry", token: admin).decode(NotificationResponse.self).status == "queued")
            #expect(try await client.send(.POST, "/notifications/999999/retry", token: admin).code == "notification_not_found")
            var browser = Browser(client: client)
            _ = try await browser.send(.POST, "/account/login", form: [
                "_csrf": try await browser.csrf(on: "/account/login"), "username": TestAdmin.username, "password": TestAdmin.password])
            let page = try await browser.send(.GET, "/admin/notifications")
            #expect(page.status == .ok && page.text.contains("bob@example.com") && page.text.contains("550 no such mailbox"))
            #expect(try await relay.runOnce() == 1)
            #expect(Self.messages(script).count == 2 && Self.header("Message-ID", of: Self.messages(script)[1]) == "<\(failed[0].messageID)>")
            let metrics = try await client.send(.GET, "/metrics").text
            for (outcome, count) in [("sent", 2), ("retried", 1), ("failed", 1)] {
                #expect(metrics.contains("booking_mail_messages_total{kind=\"booking\",outcome=\"\(outcome)\"} \(count)")
                        || metrics.contains("booking_mail_messages_total{outcome=\"\(outcome)\",kind=\"booking\"} \(count)"), "\(outcome)")
            }
            #expect(metrics.contains("booking_mail_oldest_unsent_seconds 0"), "nothing waits")
        }
    }

    @Test("a kind turned off is not sent, security always is; turning security off or an unknown kind is 400 and changes nothing",
          arguments: TestDatabase.allCases)
    func preferences(db: TestDatabase) async throws {
        let script = SMTPClientTests.Script(answer: SMTPClientTests.usual)
        try await Self.withMail(db, script, clock: ManualClock()) { client, relay in
            let id = try await client.createResource("Boat", total: 5, adminToken: try await client.adminToken())
            let token = try await client.userToken("quiet")
            #expect(try await client.send(.GET, "/users/me/", token: token).user.notifications.values.allSatisfy { $0 }, "every kind on at first")
            for refused in [["security": false], ["newsletter": true]] {
                let reply = try await client.send(.PATCH, "/users/me/", token: token, json: ["notifications": refused])
                #expect(reply.status == .badRequest && reply.code == "invalid_field", "\(reply.text)")
            }
            let me = try await client.send(.PATCH, "/users/me/", token: token, json: ["notifications": ["booking": false, "security": true]]).user
            #expect(me.notifications == ["booking": false, "offer": true, "hold_reminder": true, "booking_reminder": true, "security": true])
            _ = try await client.send(.POST, "/bookings/", token: token, json: ["resource": id, "purchase_quantity": 1]).booking
            #expect(try await client.send(.POST, "/users/me/password", token: token,
                                          json: ["old_password": "password123", "new_password": "password456"]).status == .noContent)
            try await relay.runOnce()
            #expect(Self.messages(script).compactMap { Self.header("Subject", of: $0) } == ["Your password was changed"])
        }
    }

    @Test("each message but a security notice carries a one-click unsubscribe link that turns off its kind for its user only",
          arguments: TestDatabase.allCases)
    func unsubscribe(db: TestDatabase) async throws {
        let script = SMTPClientTests.Script(answer: SMTPClientTests.usual)
        try await Self.withMail(db, script, clock: ManualClock()) { client, relay in
            let id = try await client.createResource("Bike", total: 5, adminToken: try await client.adminToken())
            let token = try await client.userToken("rider")
            let other = try await client.userToken("other")
            for who in [token, other] { _ = try await client.send(.POST, "/bookings/", token: who, json: ["resource": id, "purchase_quantity": 1]).booking }
            #expect(try await client.send(.POST, "/users/me/password", token: token,
                                          json: ["old_password": "password123", "new_password": "password456"]).status == .noContent)
            try await relay.runOnce()
            let messages = Self.messages(script)
            let booked = try #require(messages.first { Self.header("To", of: $0)?.contains("rider@") == true && Self.header("Subject", of: $0) == "Booked: Bike" })
            #expect(Self.header("List-Unsubscribe-Post", of: booked) == "List-Unsubscribe=One-Click")
            let link = try #require(Self.header("List-Unsubscribe", of: booked))
            let path = String(link.dropFirst("<https://bookings.example.com".count).dropLast())
            #expect(path.hasPrefix("/unsubscribe/"))
            let security = try #require(messages.first { Self.header("Subject", of: $0) == "Your password was changed" })
            #expect(Self.header("List-Unsubscribe", of: security) == nil, "security notices cannot be stopped")

            // Following the link only shows a button; the one-click POST turns bookings off, for this user only.
            #expect(try await client.send(.GET, path).text.contains("<form method=\"post\""))
            let login = try await client.login("rider", password: "password456")
            #expect(try await client.send(.GET, "/users/me/", token: login).user.notifications["booking"] == true)
            let reply = try await client.send(.POST, path, rawBody: "List-Unsubscribe=One-Click",
                                              headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(reply.status == .ok && reply.text.contains("no more booking e-mails"))
            #expect(try await client.send(.POST, path).status == .ok, "again: nothing more to change")
            #expect(try await client.send(.GET, "/users/me/", token: login).user.notifications
                    == ["booking": false, "offer": true, "hold_reminder": true, "booking_reminder": true, "security": true])
            #expect(try await client.send(.GET, "/users/me/", token: other).user.notifications["booking"] == true)
            #expect(try await client.send(.POST, "/unsubscribe/" + String(repeating: "x", count: 43)).code == "notification_not_found")
        }
    }

    @Test("a hold's reminder comes once at expiry minus HOLD_REMINDER_BEFORE, and none for a hold confirmed first; a dated booking's once a day before it starts",
          arguments: TestDatabase.allCases)
    func reminders(db: TestDatabase) async throws {
        let script = SMTPClientTests.Script(answer: SMTPClientTests.usual)
        let clock = ManualClock(CapacityInTimeTests.start)
        try await Self.withMail(db, script, clock: clock) { client, relay in
            let reminders = client.app.domain.reminders
            let admin = try await client.adminToken()
            let pool = try await client.createResource("Tent", total: 5, adminToken: admin)
            let days = try await CapacityInTimeTests.dated(client, "Hall", total: 5, schedule: SeriesTests.berlinDays, admin: admin)
            let token = try await client.userToken("camper")
            let kept = try await client.send(.POST, "/holds/", token: token, json: ["resource": pool, "quantity": 1, "ttl_seconds": 600]).hold
            let confirmed = try await client.send(.POST, "/holds/", token: token, json: ["resource": pool, "quantity": 1, "ttl_seconds": 600]).hold
            let short = try await client.send(.POST, "/holds/", token: token, json: ["resource": pool, "quantity": 1, "ttl_seconds": 200]).hold
            // A dated hold: its expiry is told in the resource's zone (Berlin is UTC+1 in December).
            let night = try await client.send(.POST, "/holds/", token: token,
                                              json: ["resource": days, "quantity": 1, "start": "2026-12-20", "ttl_seconds": 600]).hold
            // 2026-12-10 starts at 2026-12-09T23:00Z; booked now (four days ahead) it is reminded at 2026-12-08T23:00Z.
            let stay = try await CapacityInTimeTests.book(client, days, 1, "2026-12-10", token: token).booking
            let dropped = try await CapacityInTimeTests.book(client, days, 1, "2026-12-11", token: token).booking
            #expect(try await client.send(.DELETE, "/bookings/\(dropped.id)/", token: token).status == .ok)
            #expect(try await client.send(.POST, "/holds/\(confirmed.id)/confirm", token: token).status == .created)
            #expect(try await reminders.runOnce() == 0, "nothing is due yet")

            clock.advance(by: 600 - 120)
            #expect(try await reminders.runOnce() == 2, "the kept holds only: the confirmed one is booked, the short one too short")
            #expect(try await reminders.runOnce() == 0, "once")
            clock.set(Date(timeIntervalSince1970: 1_796_770_800))  // 2026-12-08T23:00Z
            #expect(try await reminders.runOnce() == 1, "the stay, not the cancelled booking")
            // A booking made inside the window gets none.
            let late = try await CapacityInTimeTests.book(client, days, 1, "2026-12-09", token: token).booking
            let afterLate = try await reminders.runOnce()
            #expect(late.id > 0 && afterLate == 0)

            let events = try await client.send(.GET, "/events/?limit=1000&type=hold.expiring,booking.starting", token: admin).events
            #expect(events.map(\.type) == ["hold.expiring", "hold.expiring", "booking.starting"])
            #expect(Set(events[0...1].compactMap(\.hold)) == [kept.id, night.id] && events[2].booking == stay.id && short.id != kept.id)
            try await relay.runOnce()
            let subjects = Self.messages(script).compactMap { Self.header("Subject", of: $0) }
            #expect(subjects.contains("Your hold expires at 10:10 UTC: Tent"), "a pool's expiry in UTC: \(subjects)")
            #expect(subjects.contains("Your hold expires at 11:10 (Europe/Berlin): Hall"), "a dated one's in its zone: \(subjects)")
            #expect(subjects.contains("Coming up: Hall (2026-12-10 → 2026-12-11)"))
        }
    }

    @Test("three servers writing reminders at once write each once", .requiresPostgres)
    func remindersOnReplicas() async throws {
        let clock = ManualClock(CapacityInTimeTests.start)
        try await withPostgresReplicas(3, configure: patientPool, clock: clock) { replicas in
            let id = try await replicas[0].createResource("Pool", total: 100, adminToken: try await replicas[0].adminToken())
            // Three holders (at most 10 units held each, MAX_HELD_PER_USER), ten holds each.
            for holder in 0..<3 {
                let token = try await replicas[holder].userToken("holder\(holder)")
                for _ in 0..<10 {
                    _ = try await replicas[holder].send(.POST, "/holds/", token: token, json: ["resource": id, "quantity": 1, "ttl_seconds": 600]).hold
                }
            }
            clock.advance(by: 600 - 60)
            let written = try await withThrowingTaskGroup(of: Int.self) { group in
                for replica in replicas {
                    group.addTask { try await replica.app.domain.reminders.runOnce() }
                }
                return try await group.reduce(0, +)
            }
            #expect(written == 30)
            let events = try await replicas[0].send(.GET, "/events/?limit=1000&type=hold.expiring", token: try await replicas[0].adminToken()).events
            #expect(events.count == 30 && Set(events.compactMap(\.hold)).count == 30)
        }
    }
}
