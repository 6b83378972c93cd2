import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain

/// Calendar feeds through the API, on both databases: a secret URL lists the user's dated bookings as
/// RFC 5545 events, one per booking, that calendar apps keep in step (UID, SEQUENCE, STATUS, ETag).
@Suite("Calendar feeds")
struct CalendarFeedTests {
    /// One VEVENT's properties, by name (parameters kept with the name: `DTSTART;VALUE=DATE`).
    typealias Event = [String: String]

    /// The document's events, unfolded as RFC 5545 says (a line starting with a space continues the last);
    /// fails the test if a line is longer than 75 octets or does not end in CRLF.
    static func events(_ text: String) -> [Event] {
        #expect(text.hasSuffix("\r\n"))
        var lines: [String] = []
        for line in text.components(separatedBy: "\r\n").dropLast() {
            #expect(line.utf8.count <= 75, "a line of \(line.utf8.count) octets: \(line)")
            #expect(!line.contains("\n") && !line.contains("\r"))
            if line.hasPrefix(" "), !lines.isEmpty { lines[lines.count - 1] += line.dropFirst() } else { lines.append(line) }
        }
        var events: [Event] = [], current: Event?
        for line in lines {
            if line == "BEGIN:VEVENT" { current = [:] }
            else if line == "END:VEVENT", let event = current { events.append(event); current = nil }
            else if current != nil, let colon = line.firstIndex(of: ":") {
                current?[String(line[..<colon])] = String(line[line.index(after: colon)...])
            }
        }
        return events
    }

    static func feedURL(_ client: TestClient, token: String) async throws -> String {
        let reply = try await client.send(.POST, "/users/me/calendar-feed", token: token)
        #expect(reply.status == .created, "\(reply.text)")
        let feed = try reply.decode(CalendarFeedResponse.self)
        #expect(feed.url.hasSuffix(feed.path) && feed.url.hasPrefix("http"))
        return feed.path
    }

    @Test("the feed lists each dated booking of the user once, days as dates and slots in UTC, and follows a cancellation",
          arguments: TestDatabase.allCases)
    func feed(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(SeriesTests.start)) { client in
            let admin = try await client.adminToken()
            let nights = try await CapacityInTimeTests.dated(client, #"Cabin, "North"; by the lake\ 2"#, total: 3,
                                                             schedule: CapacityInTimeTests.nights, admin: admin)
            let court = try await CapacityInTimeTests.dated(client, "Court", total: 2, schedule: SeriesTests.berlinHours, admin: admin)
            let pool = try await client.createResource("Kayaks", total: 5, adminToken: admin)
            let token = try await client.userToken("camper")
            let stay = try await CapacityInTimeTests.book(client, nights, 2, "2026-10-10", "2026-10-13", token: token).booking
            let game = try await CapacityInTimeTests.book(client, court, 1, "2026-10-27T18:00:00+01:00", token: token).booking
            #expect(try await client.send(.POST, "/bookings/", token: token, json: ["resource": pool, "purchase_quantity": 1]).status == .created)
            let series = try await SeriesTests.series(client, court, start: "2026-10-06T18:00:00+02:00", rrule: "FREQ=WEEKLY;COUNT=3", token: token).series
            let other = try await client.userToken("neighbour")
            #expect(try await CapacityInTimeTests.book(client, nights, 1, "2026-10-10", "2026-10-11", token: other).status == .created)

            let path = try await Self.feedURL(client, token: token)
            let reply = try await client.send(.GET, path)
            #expect(reply.status == .ok)
            #expect(reply.headers.first(name: .contentType) == "text/calendar; charset=utf-8")
            let events = Self.events(reply.text)
            let ids = [stay.id, game.id] + series.occurrences.compactMap(\.booking)
            #expect(Set(events.compactMap { $0["UID"] }) == Set(ids.map { "booking-\($0)@booking-service" }), "one event per dated booking of the user's")
            #expect(events.count == ids.count)
            let lodge = try #require(events.first { $0["UID"] == "booking-\(stay.id)@booking-service" })
            #expect(lodge["DTSTART;VALUE=DATE"] == "20261010" && lodge["DTEND;VALUE=DATE"] == "20261013")
            #expect(lodge["SUMMARY"] == #"Cabin\, "North"\; by the lake\\ 2 × 2"#)
            #expect(lodge["STATUS"] == "CONFIRMED" && lodge["SEQUENCE"] == "0")
            let match = try #require(events.first { $0["UID"] == "booking-\(game.id)@booking-service" })
            #expect(match["DTSTART"] == "20261027T170000Z" && match["DTEND"] == "20261027T180000Z")
            let first = try #require(events.first { $0["UID"] == "booking-\(series.occurrences[0].booking!)@booking-service" })
            #expect(first["DTSTART"] == "20261006T160000Z", "18:00 in Berlin in summer time")

            // Unchanged: 304 for the same ETag. Cancelled: a new ETag, the event CANCELLED with a higher SEQUENCE.
            let etag = try #require(reply.headers.first(name: .eTag))
            #expect(try await client.send(.GET, path, headers: [("If-None-Match", etag)]).status == .notModified)
            #expect(try await client.send(.DELETE, "/bookings/\(stay.id)/", token: token).status == .ok)
            let changed = try await client.send(.GET, path, headers: [("If-None-Match", etag)])
            #expect(changed.status == .ok && changed.headers.first(name: .eTag) != etag)
            let cancelled = try #require(Self.events(changed.text).first { $0["UID"] == "booking-\(stay.id)@booking-service" })
            #expect(cancelled["STATUS"] == "CANCELLED" && cancelled["SEQUENCE"] == "1")
        }
    }

    @Test("a replaced token stops working at once; a deactivated user's feed is gone", arguments: TestDatabase.allCases)
    func replaced(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(SeriesTests.start)) { client in
            let token = try await client.userToken("rotator")
            let old = try await Self.feedURL(client, token: token)
            #expect(try await client.send(.GET, old).status == .ok)
            let new = try await Self.feedURL(client, token: token)
            #expect(new != old)
            #expect(try await client.send(.GET, old).code == "calendar_feed_not_found")
            #expect(try await client.send(.GET, new).status == .ok)
            let me = try await client.send(.GET, "/users/me/", token: token).user
            #expect(try await client.send(.PATCH, "/users/\(me.id)/", token: try await client.adminToken(), json: ["is_active": false]).status == .ok)
            #expect(try await client.send(.GET, new).code == "calendar_feed_not_found")
        }
    }

    @Test("wrong tokens are 404 and, past 20 from one address in 15 minutes, 429 with Retry-After; a right one still opens its feed",
          arguments: TestDatabase.allCases)
    func guessing(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool, clock: ManualClock(SeriesTests.start)) { client in
            let token = try await client.userToken("subscriber")
            let path = try await Self.feedURL(client, token: token)
            // At the same instant: the limit holds for requests that arrive together.
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        let guess = String(repeating: "A", count: 40) + String(format: "%03d", index)
                        return try await client.send(.GET, "/calendar/\(guess).ics").status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            // Each guess is recorded before it is counted, so none gets past the limit (racing ones may be refused early,
            // and a refused guess is not kept).
            #expect(statuses.allSatisfy { $0 == .notFound || $0 == .tooManyRequests })
            let early = statuses.count { $0 == .notFound }
            #expect(early <= PasswordGuesses.perAddress && statuses.count { $0 == .tooManyRequests } >= 30 - PasswordGuesses.perAddress)
            // One at a time, the guesses left in the window are 404 and the next is 429: exactly the limit in all.
            var late = 0, refused: TestClient.Reply?
            for _ in 0...PasswordGuesses.perAddress {
                let reply = try await client.send(.GET, "/calendar/not-a-token.ics")
                if reply.status == .notFound { late += 1 } else { refused = reply; break }
            }
            #expect(early + late == PasswordGuesses.perAddress)
            #expect(refused?.status == .tooManyRequests && refused?.headers.first(name: .retryAfter) != nil)
            #expect(try await client.send(.GET, path).status == .ok)
        }
    }

    @Test("an admin's token reads any resource's feed; a user's token, or a resource that does not exist, is 404",
          arguments: TestDatabase.allCases)
    func resourceFeed(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(SeriesTests.start)) { client in
            let admin = try await client.adminToken()
            let rooms = try await CapacityInTimeTests.dated(client, "Rooms", total: 5, schedule: CapacityInTimeTests.nights, admin: admin)
            let tokens = try await (0..<3).asyncMap { try await client.userToken("guest\($0)") }
            var ids: [Int] = []
            for token in tokens { ids.append(try await CapacityInTimeTests.book(client, rooms, 1, "2026-10-20", "2026-10-22", token: token).booking.id) }
            let adminFeed = try await Self.feedURL(client, token: admin)
            let adminToken = String(adminFeed.dropFirst("/calendar/".count).dropLast(".ics".count))
            let feed = try await client.send(.GET, "/calendar/\(adminToken)/resources/\(rooms).ics")
            #expect(Set(Self.events(feed.text).compactMap { $0["UID"] }) == Set(ids.map { "booking-\($0)@booking-service" }))
            #expect(try await client.send(.GET, "/calendar/\(adminToken)/resources/999999.ics").status == .notFound)
            let userFeed = try await Self.feedURL(client, token: tokens[0])
            let userToken = String(userFeed.dropFirst("/calendar/".count).dropLast(".ics".count))
            #expect(try await client.send(.GET, "/calendar/\(userToken)/resources/\(rooms).ics").status == .notFound)
            #expect(Self.events(try await client.send(.GET, userFeed).text).count == 1, "a user's own feed has their booking only")
        }
    }

    @Test("bookings whose periods ended more than 90 days ago leave the feed; later ones stay", arguments: TestDatabase.allCases)
    func window(db: TestDatabase) async throws {
        let clock = ManualClock(SeriesTests.start)
        try await withBookingApp(db, clock: clock) { client in
            let days = try await CapacityInTimeTests.dated(client, "Desk", total: 1, schedule: SeriesTests.berlinDays, admin: try await client.adminToken())
            let token = try await client.userToken("worker")
            let old = try await CapacityInTimeTests.book(client, days, 1, "2026-10-10", token: token).booking
            let recent = try await CapacityInTimeTests.book(client, days, 1, "2026-11-01", token: token).booking
            let path = try await Self.feedURL(client, token: token)
            #expect(Self.events(try await client.send(.GET, path).text).count == 2)
            clock.set(Date(timeIntervalSince1970: 1_800_000_000))  // 2027-01-15: 2026-10-11 is more than 90 days back, 2026-11-02 is not
            let uids = Self.events(try await client.send(.GET, path).text).compactMap { $0["UID"] }
            #expect(uids == ["booking-\(recent.id)@booking-service"] && !uids.contains("booking-\(old.id)@booking-service"))
        }
    }
}
