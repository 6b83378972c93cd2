import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain

/// A browser as the pages see it: cookies kept between requests, forms posted with their CSRF token.
struct Browser: Sendable {
    let client: TestClient
    var cookies: [String: String] = [:]

    /// Sends a request with this browser's cookies and keeps the ones the answer sets (or clears).
    mutating func send(_ method: HTTPMethod, _ path: String, form: [String: String]? = nil, accept: String = "text/html") async throws -> TestClient.Reply {
        var headers: [(String, String)] = [("Accept", accept)]
        if !cookies.isEmpty { headers.append(("Cookie", cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))) }
        var body: String?
        if let form {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        }
        let reply = try await client.send(method, path, rawBody: body, headers: headers)
        for header in reply.headers[.setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if header.lowercased().contains("max-age=0") || pair[1].isEmpty { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair[1] }
        }
        return reply
    }

    /// The CSRF token of the forms on `path`, as the page renders it.
    mutating func csrf(on path: String) async throws -> String {
        let page = try await send(.GET, path)
        let marker = "name=\"_csrf\" value=\""
        let start = try #require(page.text.range(of: marker), "a form on \(path)")
        return String(page.text[start.upperBound...].prefix(64))
    }

    mutating func signUpAndLogIn(_ username: String) async throws {
        let signup = try await send(.POST, "/account/signup", form: [
            "_csrf": try await csrf(on: "/account/signup"), "username": username, "email": "\(username)@example.com",
            "password": "password123", "confirm_password": "password123"])
        #expect(signup.status == .seeOther, "\(signup.text)")
        let login = try await send(.POST, "/account/login", form: [
            "_csrf": try await csrf(on: "/account/login"), "username": username, "password": "password123", "next": "/"])
        #expect(login.status == .seeOther, "\(login.text)")
    }
}

@Suite("Web pages")
struct WebPageTests {
    @Test("a person signs up, logs in, books 2 units from the resource page, sees them go, cancels, sees them back",
          arguments: TestDatabase.allCases)
    func bookAndCancel(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Canoe", total: 5, adminToken: try await client.adminToken())
            var browser = Browser(client: client)
            try await browser.signUpAndLogIn("paddler")
            let session = try #require(browser.cookies[WebSessionMiddleware.sessionCookie])
            #expect(try await client.send(.GET, "/users/me/", token: session).status == .unauthorized, "a session cookie is no API token")

            let booked = try await browser.send(.POST, "/resource/\(id)/book", form: ["_csrf": try await browser.csrf(on: "/resource/\(id)"), "quantity": "2"])
            #expect(booked.status == .seeOther)
            #expect(try await client.stock(id) == (3, 0, 5))
            #expect(try await browser.send(.GET, "/resource/\(id)").text.contains(#"<strong id="available">3</strong>"#))
            let mine = try await browser.send(.GET, "/my/bookings")
            #expect(mine.text.contains("Canoe"))
            let bookingID = try #require(try await client.send(.GET, "/bookings/", token: try await client.login("paddler")).jsonArray.first?["id"] as? Int)
            let cancelled = try await browser.send(.POST, "/my/bookings/\(bookingID)/cancel", form: ["_csrf": try await browser.csrf(on: "/my/bookings")])
            #expect(cancelled.status == .seeOther)
            #expect(try await client.stock(id) == (5, 0, 5))
            // A refusal is a message on the page, with the service's reason, never JSON.
            let tooMany = try await browser.send(.POST, "/resource/\(id)/book", form: ["_csrf": try await browser.csrf(on: "/resource/\(id)"), "quantity": "9"])
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.headers.contentType?.subType == "html")
            #expect(tooMany.text.contains("only 5 left"))
        }
    }

    @Test("a form without its CSRF token, or with another session's, is refused and changes nothing", arguments: TestDatabase.allCases)
    func csrf(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let id = try await client.createResource("Kayak", total: 3, adminToken: try await client.adminToken())
            var victim = Browser(client: client), attacker = Browser(client: client)
            try await victim.signUpAndLogIn("victim")
            try await attacker.signUpAndLogIn("attacker")
            let missing = try await victim.send(.POST, "/resource/\(id)/book", form: ["quantity": "1"])
            #expect(missing.status == .forbidden)
            let foreign = try await victim.send(.POST, "/resource/\(id)/book", form: ["_csrf": try await attacker.csrf(on: "/"), "quantity": "1"])
            #expect(foreign.status == .forbidden)
            #expect(foreign.text.contains("expired"))
            let logout = try await victim.send(.POST, "/account/logout", form: [:])
            #expect(logout.status == .forbidden, "logging out is a form too")
            #expect(try await client.stock(id) == (3, 0, 3))
        }
    }

    @Test("cookies are HttpOnly and SameSite=Lax (Secure with COOKIE_SECURE); logout and deactivation end the session")
    func sessionCookies() async throws {
        try await withBookingApp(.sqlite, configure: { $0.cookieSecure = true }) { client in
            var browser = Browser(client: client)
            let page = try await browser.send(.GET, "/account/login")
            let csrfCookie = try #require(page.headers[.setCookie].first { $0.hasPrefix(WebSessionMiddleware.csrfCookie) })
            #expect(csrfCookie.contains("HttpOnly") && csrfCookie.contains("SameSite=Lax") && csrfCookie.contains("Secure"))
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
            try await browser.signUpAndLogIn("cookie-user")
            #expect(try await browser.send(.GET, "/my/bookings").status == .ok)
            let old = browser.cookies
            #expect(try await browser.send(.POST, "/account/logout", form: ["_csrf": try await browser.csrf(on: "/")]).status == .seeOther)
            var replay = Browser(client: client, cookies: old)
            let after = try await replay.send(.GET, "/my/bookings")
            #expect(after.status == .seeOther, "the old cookie no longer works")
            #expect(after.headers.first(name: .location)?.hasPrefix("/account/login") == true)

            try await browser.signUpAndLogIn("deactivated")
            #expect(try await browser.send(.GET, "/my/holds").status == .ok)
            let admin = try await client.adminToken()
            let id = try #require(try await client.send(.GET, "/users/?search=deactivated", token: admin).jsonArray.first?["id"] as? Int)
            #expect(try await client.send(.PATCH, "/users/\(id)/", token: admin, json: ["is_active": false]).status == .ok)
            #expect(try await browser.send(.GET, "/my/holds").status == .seeOther)
        }
    }

    @Test("a resource named <script>alert(1)</script> is shown as text; unknown pages and admin pages answer styled HTML")
    func escapingAndErrors() async throws {
        try await withBookingApp(.sqlite) { client in
            let id = try await client.createResource("<script>alert(1)</script>", total: 1, adminToken: try await client.adminToken())
            var browser = Browser(client: client)
            for path in ["/", "/resource/\(id)"] {
                let page = try await browser.send(.GET, path).text
                #expect(!page.contains("<script>alert"), "\(path)")
                #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path)")
            }
            let missing = try await browser.send(.GET, "/no/such/page")
            #expect(missing.status == .notFound)
            #expect(missing.headers.contentType?.subType == "html")
            #expect(missing.text.contains("There is no such page"))
            #expect(try await client.send(.GET, "/no/such/page").code == "not_found", "API clients keep their JSON")
            try await browser.signUpAndLogIn("curious")
            for path in ["/admin/resources", "/admin/users", "/admin/bookings"] {
                let refused = try await browser.send(.GET, path)
                #expect(refused.status == .forbidden, "\(path)")
                #expect(refused.text.contains("Only an admin"), "\(path)")
            }
            #expect(try await browser.send(.GET, "/assets/site.css").status == .ok)
        }
    }

    @Test("the login form counts password guesses as the API does: past the limit a 429 page, the password unchecked")
    func loginFormThrottled() async throws {
        try await withBookingApp(.sqlite) { client in
            try await client.signUp("guarded", password: "the-right-password")
            var browser = Browser(client: client)
            var statuses: [UInt] = []
            for attempt in 0..<7 {
                let reply = try await browser.send(.POST, "/account/login", form: [
                    "_csrf": try await browser.csrf(on: "/account/login"), "username": "guarded", "password": "wrong-\(attempt)"])
                statuses.append(reply.status.code)
                if reply.status == .tooManyRequests {
                    #expect(reply.headers.first(name: .retryAfter) != nil)
                    #expect(reply.text.contains("Too many wrong passwords"))
                }
            }
            #expect(statuses == [401, 401, 401, 401, 401, 429, 429], "\(statuses)")
            // The right password is not even checked now, through the form or the API.
            let right = try await browser.send(.POST, "/account/login", form: [
                "_csrf": try await browser.csrf(on: "/account/login"), "username": "guarded", "password": "the-right-password"])
            #expect(right.status == .tooManyRequests)
        }
    }

    @Test("an admin creates a resource from the pages and a signed-in user sees it at once", arguments: TestDatabase.allCases)
    func adminCreates(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            var admin = Browser(client: client)
            let login = try await admin.send(.POST, "/account/login", form: [
                "_csrf": try await admin.csrf(on: "/account/login"), "username": TestAdmin.username, "password": TestAdmin.password])
            #expect(login.status == .seeOther)
            let created = try await admin.send(.POST, "/admin/resources", form: [
                "_csrf": try await admin.csrf(on: "/admin/resources"), "name": "Tandem", "description": "For two",
                "total_quantity": "2", "max_per_user": "1", "max_per_booking": ""])
            #expect(created.status == .seeOther, "\(created.text)")
            var user = Browser(client: client)
            try await user.signUpAndLogIn("rider")
            #expect(try await user.send(.GET, "/").text.contains("Tandem"))
            let refused = try await admin.send(.POST, "/admin/resources", form: [
                "_csrf": try await admin.csrf(on: "/admin/resources"), "name": "Tandem", "total_quantity": "2"])
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("already exists"))
        }
    }

    @Test("capacity in time on the pages: an admin sets a schedule and closes a date; a person picks nights from the month and slots from a day",
          arguments: TestDatabase.allCases)
    func datedPages(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(CapacityInTimeTests.start)) { client in
            var admin = Browser(client: client)
            _ = try await admin.send(.POST, "/account/login", form: [
                "_csrf": try await admin.csrf(on: "/account/login"), "username": TestAdmin.username, "password": TestAdmin.password])
            let created = try await admin.send(.POST, "/admin/resources", form: [
                "_csrf": try await admin.csrf(on: "/admin/resources"), "name": "Cabins", "total_quantity": "3"])
            let id = try #require(created.headers.first(name: .location).flatMap { Int($0.split(separator: "/").last?.split(separator: "?").first ?? "") })
            let scheduled = try await admin.send(.POST, "/admin/resources/\(id)/schedule", form: [
                "_csrf": try await admin.csrf(on: "/admin/resources/\(id)"), "kind": "nightly", "time_zone": "Europe/Berlin",
                "horizon_days": "365", "min_notice_minutes": "0"])
            #expect(scheduled.status == .seeOther, "\(scheduled.text)")
            #expect(try await client.resource(id).schedule?.kind == "nightly")
            let closed = try await admin.send(.POST, "/admin/resources/\(id)/calendar", form: [
                "_csrf": try await admin.csrf(on: "/admin/resources/\(id)"), "date": "2026-12-24", "total_quantity": "0"])
            #expect(closed.status == .seeOther, "\(closed.text)")
            #expect(try await admin.send(.GET, "/admin/resources/\(id)").text.contains("2026-12-24"))

            var guest = Browser(client: client)
            try await guest.signUpAndLogIn("guest")
            let month = try await guest.send(.GET, "/resource/\(id)?month=2026-12")
            #expect(month.text.contains(#"data-date="2026-12-24"><span class="day">24</span><br><span class="left">closed</span>"#))
            #expect(month.text.contains(#"data-date="2026-12-10"><span class="day">10</span><br><span class="left">3 left</span>"#))
            let booked = try await guest.send(.POST, "/resource/\(id)/book", form: [
                "_csrf": try await guest.csrf(on: "/resource/\(id)"), "start": "2026-12-10", "end": "2026-12-13", "quantity": "2"])
            #expect(booked.status == .seeOther, "\(booked.text)")
            #expect(try await guest.send(.GET, "/resource/\(id)?month=2026-12").text.contains(#"data-date="2026-12-12"><span class="day">12</span><br><span class="left">1 left</span>"#))
            #expect(try await guest.send(.GET, "/my/bookings").text.contains("2026-12-10 → 2026-12-13"))
            let through = try await guest.send(.POST, "/resource/\(id)/hold", form: [
                "_csrf": try await guest.csrf(on: "/resource/\(id)"), "start": "2026-12-23", "end": "2026-12-26", "quantity": "1"])
            #expect(through.status == .badRequest && through.text.contains("2026-12-24 is closed"))

            let court = try await CapacityInTimeTests.dated(client, "Court", total: 1, schedule: [
                "kind": "slots", "time_zone": "Europe/Berlin", "slot_minutes": 60,
                "opening_hours": [["weekdays": [1, 2, 3, 4, 5, 6, 7], "open": "08:00", "close": "22:00"]]], admin: try await client.adminToken())
            let day = try await guest.send(.GET, "/resource/\(court)?day=2026-12-10")
            #expect(day.text.contains("09:00–10:00") && !day.text.contains("07:00–08:00"))
            let slots = try await guest.send(.POST, "/resource/\(court)/book", form: [
                "_csrf": try await guest.csrf(on: "/resource/\(court)"), "start": "2026-12-10T09:00:00+01:00", "slots": "2", "quantity": "1"])
            #expect(slots.status == .seeOther, "\(slots.text)")
            let mine = try await client.send(.GET, "/bookings/?resource=\(court)", token: try await client.login("guest")).bookings
            #expect(mine.map { "\($0.start ?? "")/\($0.end ?? "")" } == ["2026-12-10T09:00:00+01:00/2026-12-10T11:00:00+01:00"])
            #expect(try await guest.send(.GET, "/my/bookings").text.contains("2026-12-10 09:00–11:00 (UTC+01:00)"))
        }
    }

    @Test("My bookings shows a series as one row that expands into its occurrences, cancels from one on, and makes a calendar link once",
          arguments: TestDatabase.allCases)
    func seriesAndFeedPages(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(SeriesTests.start)) { client in
            let court = try await CapacityInTimeTests.dated(client, "Court", total: 1, schedule: SeriesTests.berlinHours, admin: try await client.adminToken())
            var guest = Browser(client: client)
            try await guest.signUpAndLogIn("regular")
            let token = try await client.login("regular")
            let series = try await SeriesTests.series(client, court, start: "2026-10-20T18:00:00+02:00", rrule: "FREQ=WEEKLY;COUNT=3", token: token).series
            #expect(try await CapacityInTimeTests.book(client, court, 1, "2026-10-21T09:00:00+02:00", token: token).status == .created)
            let page = try await guest.send(.GET, "/my/bookings").text
            #expect(page.contains("<details><summary>3 occurrences: 3 booked"))
            #expect(page.contains("2026-10-27 18:00–19:00 (UTC+01:00)"), "the occurrence after the change keeps its wall time")
            #expect(page.components(separatedBy: "<td>No. ").count - 1 == 2, "one row for the series, one for the single booking")
            let cancelled = try await guest.send(.POST, "/my/series/\(series.id)/cancel", form: [
                "_csrf": try await guest.csrf(on: "/my/bookings"), "from": series.occurrences[1].start])
            #expect(cancelled.status == .seeOther, "\(cancelled.text)")
            #expect(try await client.send(.GET, "/bookings/series/\(series.id)/", token: token).series.occurrences.map(\.status)
                == ["booked", "cancelled", "cancelled"])
            #expect(try await guest.send(.GET, "/my/bookings").text.contains("3 occurrences: 1 booked, 2 cancelled"))

            let made = try await guest.send(.POST, "/my/calendar-feed", form: ["_csrf": try await guest.csrf(on: "/my/bookings")])
            let url = try #require(made.text.range(of: #"http://[^"]+/calendar/[A-Za-z0-9_-]{43}\.ics"#, options: .regularExpression)
                .map { String(made.text[$0]) })
            let start = try #require(url.range(of: "/calendar/")).lowerBound
            let path = String(url[start...])
            let events = CalendarFeedTests.events(try await client.send(.GET, path).text)
            #expect(events.map { $0["STATUS"] ?? "" }.sorted() == ["CANCELLED", "CANCELLED", "CONFIRMED", "CONFIRMED"], "every booking, cancelled ones marked")
            #expect(!(try await guest.send(.GET, "/my/bookings").text.contains(url)), "the link is shown once")
        }
    }

    @Test("the account page turns kinds of e-mail on and off; security notices stay on", arguments: TestDatabase.allCases)
    func mailSettings(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            var person = Browser(client: client)
            try await person.signUpAndLogIn("reader")
            #expect(try await person.send(.GET, "/account/password").text.contains(#"name="offer" value="on" checked"#))
            let saved = try await person.send(.POST, "/account/notifications", form: [
                "_csrf": try await person.csrf(on: "/account/password"), "booking": "on", "hold_reminder": "on"])
            #expect(saved.status == .seeOther)
            let me = try await client.send(.GET, "/users/me/", token: try await client.login("reader")).user
            #expect(me.notifications == ["booking": true, "offer": false, "hold_reminder": true, "booking_reminder": false, "security": true])
            #expect(!(try await person.send(.GET, "/account/password").text.contains(#"name="offer" value="on" checked"#)))
        }
    }

    @Test("an admin reads the event log and adds a webhook from the pages: its secret shown once, a ping sent from the page; users get 403",
          arguments: TestDatabase.allCases)
    func eventsAndWebhooks(db: TestDatabase) async throws {
        try await withReceiver { receiver in
            try await withBookingApp(db, configure: allowLoopback) { client in
                var admin = Browser(client: client)
                let login = try await admin.send(.POST, "/account/login", form: [
                    "_csrf": try await admin.csrf(on: "/account/login"), "username": TestAdmin.username, "password": TestAdmin.password])
                #expect(login.status == .seeOther)
                _ = try await admin.send(.POST, "/admin/resources", form: [
                    "_csrf": try await admin.csrf(on: "/admin/resources"), "name": "<b>Kayak</b>", "total_quantity": "2"])
                let log = try await admin.send(.GET, "/admin/events?type=resource.created")
                #expect(log.status == .ok)
                #expect(log.text.contains("resource.created") && log.text.contains("&lt;b&gt;Kayak&lt;/b&gt;") && !log.text.contains("<b>Kayak"))
                #expect(!(try await admin.send(.GET, "/admin/events?type=user.updated").text.contains("Kayak")))

                let added = try await admin.send(.POST, "/admin/webhooks", form: [
                    "_csrf": try await admin.csrf(on: "/admin/webhooks"), "url": receiver.url, "description": "CRM", "events[]": "booking.created"])
                #expect(added.status == .created, "\(added.text)")
                let secret = try #require(added.text.range(of: "whsec_[A-Za-z0-9+/=]+", options: .regularExpression).map { String(added.text[$0]) })
                let listed = try await admin.send(.GET, "/admin/webhooks")
                #expect(listed.text.contains(receiver.url) && !listed.text.contains(secret), "the secret is shown once")
                let hook = try #require(try await client.app.domain.webhooks.endpoints().first?.id)
                let ping = try await admin.send(.POST, "/admin/webhooks/\(hook)/test", form: ["_csrf": try await admin.csrf(on: "/admin/webhooks/\(hook)")])
                #expect(ping.status == .seeOther)
                #expect(try receiver.received.map { try $0.message.type } == ["ping"])
                #expect(try await admin.send(.GET, "/admin/webhooks/\(hook)").text.contains("HTTP 200"))
                let bad = try await admin.send(.POST, "/admin/webhooks", form: [
                    "_csrf": try await admin.csrf(on: "/admin/webhooks"), "url": "ftp://example.com/", "events[]": "booking.created"])
                #expect(bad.status == .badRequest && bad.text.contains("http or https"))

                var user = Browser(client: client)
                try await user.signUpAndLogIn("nosy")
                #expect(try await user.send(.GET, "/admin/events").status == .forbidden)
                #expect(try await user.send(.GET, "/admin/webhooks").status == .forbidden)
            }
        }
    }

    @Test("after a login the browser goes only to a path of this site: every other next is /, as a browser would read it, and no header carries CR or LF",
          arguments: TestDatabase.allCases)
    func loginRedirects(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            try await client.signUp("traveller")
            let hostile = [
                "/\r\nLocation: http://evil.example/", "/\r\nSet-Cookie: booking_session=planted", "/\t/evil.example", "/\n/evil.example",
                "//evil.example", "/\\evil.example", "\\/evil.example", "https://evil.example/", "javascript:alert(1)", " /my/bookings",
                "/ /evil.example", "", "my/bookings", "/\u{0}x", "/caf\u{E9}", String(repeating: "/a", count: 300),
            ]
            for next in hostile {
                var browser = Browser(client: client)
                let login = try await browser.send(.POST, "/account/login", form: [
                    "_csrf": try await browser.csrf(on: "/account/login"), "username": "traveller", "password": "password123", "next": next])
                #expect(login.status == .seeOther)
                #expect(login.headers[.location] == ["/"], "\(next.debugDescription) → \(login.headers[.location])")
                #expect(login.headers.allSatisfy { HeaderGuard.isSafe($0.name) && HeaderGuard.isSafe($0.value) })
                #expect(!login.headers.contains { $0.value.contains("planted") || $0.value.contains("evil") })
            }
            for next in ["/", "/my/bookings", "/resource/7?done=booked", "/%09/evil.example", "/a//b"] {
                var browser = Browser(client: client)
                let login = try await browser.send(.POST, "/account/login", form: [
                    "_csrf": try await browser.csrf(on: "/account/login"), "username": "traveller", "password": "password123", "next": next])
                #expect(login.headers[.location] == [next], "a path of this site is kept as it is")
            }
            // The form reflects only a safe next: a TAB in the query (decoded from %09) is not written into the page.
            var browser = Browser(client: client)
            let form = try await browser.send(.GET, "/account/login?next=/%09/evil.example")
            #expect(!form.text.contains("evil.example"))
        }
    }

    @Test("the header guard drops any header whose name or value carries CR, LF or NUL, and keeps the rest")
    func headerGuard() {
        var headers = HTTPHeaders([("Location", "/ok"), ("X-A", "a\r\nSet-Cookie: x=1"), ("X-B", "b\nc"), ("X-C", "c\u{0}"), ("Bad\r\nName", "v"),
                                   ("X-D", "fine")])
        HeaderGuard.dropUnsafe(from: &headers, logger: Logger(label: "test"))
        #expect(headers.map(\.name) == ["Location", "X-D"])
    }

    @Test("a login gives the browser a new CSRF secret: a value planted before the login is not kept")
    func csrfSecretRotates() async throws {
        try await withBookingApp(.sqlite) { client in
            try await client.signUp("rotator")
            let planted = String(repeating: "A", count: 43)
            var browser = Browser(client: client, cookies: [WebSessionMiddleware.csrfCookie: planted])
            let login = try await browser.send(.POST, "/account/login", form: [
                "_csrf": try await browser.csrf(on: "/account/login"), "username": "rotator", "password": "password123", "next": "/"])
            #expect(login.status == .seeOther)
            let rotated = try #require(browser.cookies[WebSessionMiddleware.csrfCookie])
            #expect(rotated != planted && rotated.count == 43)
            // The forms go on working with the new secret.
            #expect(try await browser.send(.POST, "/account/logout", form: ["_csrf": try await browser.csrf(on: "/")]).status == .seeOther)
        }
    }
}
