import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain

/// Recurring bookings through the API, on both databases, with the clock held still: each occurrence is
/// a booking made under every check a booking meets, all in one transaction; `fail` books all or none,
/// `skip` books what fits and says why not the rest; cancelling gives each occurrence back once.
@Suite("Recurring series")
struct SeriesTests {
    /// 2026-10-01 10:00 UTC: before the autumn change of 2026-10-25 in Europe/Berlin.
    static let start = Date(timeIntervalSince1970: 1_790_848_800)

    static func series(_ client: TestClient, _ id: Int, _ quantity: Int = 1, start: String? = nil, end: String? = nil, rrule: String?,
                       onConflict: String? = nil, token: String, key: String? = nil) async throws -> TestClient.Reply {
        var body: [String: Any] = ["resource": id, "purchase_quantity": quantity]
        if let start { body["start"] = start }
        if let end { body["end"] = end }
        if let rrule { body["rrule"] = rrule }
        if let onConflict { body["on_conflict"] = onConflict }
        return try await client.send(.POST, "/bookings/series/", token: token, json: body, headers: key.map { [("Idempotency-Key", $0)] } ?? [])
    }

    static var berlinHours: [String: Any] { ["kind": "slots", "time_zone": "Europe/Berlin", "slot_minutes": 60] }
    static var berlinDays: [String: Any] { ["kind": "daily", "time_zone": "Europe/Berlin"] }

    /// Each period's units left from `from` up to `to` (dates).
    static func available(_ client: TestClient, _ id: Int, from: String, to: String) async throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try await CapacityInTimeTests.periods(client, id, from: from, to: to).map { ($0.0, $0.1) })
    }

    @Test("12 weekly occurrences in Europe/Berlin across 2026-10-25 all begin at 18:00 local", arguments: TestDatabase.allCases)
    func wallTimeAcrossDST(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let id = try await CapacityInTimeTests.dated(client, "Court", total: 2, schedule: Self.berlinHours, admin: try await client.adminToken())
            let token = try await client.userToken("player")
            let reply = try await Self.series(client, id, start: "2026-10-06T18:00:00+02:00", end: "2026-10-06T19:00:00+02:00",
                                              rrule: "FREQ=WEEKLY;BYDAY=TU;COUNT=12", token: token)
            #expect(reply.status == .created, "\(reply.text)")
            let series = try reply.series
            #expect(series.occurrences.count == 12 && series.occurrences.allSatisfy { $0.status == "booked" && $0.booking != nil })
            let dates = ["2026-10-06", "2026-10-13", "2026-10-20", "2026-10-27", "2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24",
                         "2026-12-01", "2026-12-08", "2026-12-15", "2026-12-22"]
            #expect(series.occurrences.map(\.start) == dates.enumerated().map { "\($1)T18:00:00\($0 < 3 ? "+02:00" : "+01:00")" })
            #expect(series.occurrences.map(\.end) == dates.enumerated().map { "\($1)T19:00:00\($0 < 3 ? "+02:00" : "+01:00")" })
            // Each occurrence is an ordinary booking of the series, and took its slot.
            let bookings = try await client.send(.GET, "/bookings/?limit=100", token: token).bookings
            #expect(Set(bookings.map(\.id)) == Set(series.occurrences.compactMap(\.booking)))
            #expect(bookings.allSatisfy { $0.series == series.id && $0.status == "active" })
            let slots = try await client.send(.GET, "/resources/\(id)/availability/?from=2026-10-27&to=2026-10-28").availability.periods
            #expect(slots.first { $0.start == "2026-10-27T18:00:00+01:00" }?.availableQuantity == 1)
            #expect(slots.filter { $0.start != "2026-10-27T18:00:00+01:00" }.allSatisfy { $0.availableQuantity == 2 })
            #expect(try await client.send(.GET, "/bookings/series/\(series.id)/", token: token).series.occurrences == series.occurrences)
        }
    }

    @Test("a series of 10 whose 4th day is full: fail books none and names it, skip books 9 and reports it", arguments: TestDatabase.allCases)
    func failAndSkip(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let id = try await CapacityInTimeTests.dated(client, "Studio", total: 1, schedule: Self.berlinDays, admin: try await client.adminToken())
            let other = try await client.userToken("early")
            #expect(try await CapacityInTimeTests.book(client, id, 1, "2026-10-13", token: other).status == .created)
            let token = try await client.userToken("painter")

            let refused = try await Self.series(client, id, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=10", token: token)
            #expect(refused.status == .badRequest)
            #expect(refused.code == "insufficient_quantity")
            #expect(refused.error?.occurrences?.map(\.start) == ["2026-10-13"])
            #expect(refused.error?.occurrences?.first?.periods == [.init(start: "2026-10-13", end: "2026-10-14", availableQuantity: 0)])
            let untouched = try await Self.available(client, id, from: "2026-10-10", to: "2026-10-20")
            #expect(untouched.filter { $0.value == 1 }.count == 9 && untouched["2026-10-13"] == 0, "fail took nothing")
            #expect(try await client.send(.GET, "/bookings/series/", token: token).seriesList.isEmpty)

            let reply = try await Self.series(client, id, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=10", onConflict: "skip", token: token)
            #expect(reply.status == .created, "\(reply.text)")
            let series = try reply.series
            #expect(series.occurrences.map(\.status) == Array(repeating: "booked", count: 3) + ["skipped"] + Array(repeating: "booked", count: 6))
            #expect(series.occurrences[3].code == .insufficientQuantity && series.occurrences[3].booking == nil)
            #expect(try await Self.available(client, id, from: "2026-10-10", to: "2026-10-20").values.allSatisfy { $0 == 0 })
            // Read back, the skipped one keeps its place.
            let read = try await client.send(.GET, "/bookings/series/\(series.id)/", token: token).series
            #expect(read.occurrences.map(\.status) == series.occurrences.map(\.status))
            #expect(read.occurrences.map(\.start) == series.occurrences.map(\.start))
        }
    }

    @Test("series racing for the same slots never oversell a slot, and every slot agrees with its bookings", arguments: TestDatabase.allCases)
    func racingSeries(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: CapacityInTimeTests.racing, clock: ManualClock(Self.start)) { client in
            try await Self.seriesRace([client])
        }
    }

    @Test("the same race spread over three servers on one PostgreSQL", .requiresPostgres)
    func racingSeriesOnReplicas() async throws {
        try await withPostgresReplicas(3, configure: CapacityInTimeTests.racing, clock: ManualClock(Self.start)) { replicas in
            try await Self.seriesRace(replicas)
        }
    }

    /// Twelve weekly series at once (half `fail`, half `skip`) on a 3-unit hourly resource, overlapping
    /// by starting in different weeks.
    static func seriesRace(_ servers: [TestClient]) async throws {
        let id = try await CapacityInTimeTests.dated(servers[0], "Lanes", total: 3, schedule: ["kind": "slots", "time_zone": "UTC", "slot_minutes": 60],
                                                     admin: try await servers[0].adminToken())
        let tokens = try await (0..<12).asyncMap { try await servers[$0 % servers.count].userToken("swimmer\($0)") }
        let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
            for index in 0..<12 {
                let server = servers[index % servers.count]
                let day = 7 + 7 * (index % 3)
                group.addTask {
                    try await Self.series(server, id, start: "2026-10-\(day < 10 ? "0" : "")\(day)T09:00:00Z", rrule: "FREQ=WEEKLY;COUNT=6",
                                          onConflict: index % 2 == 0 ? "fail" : "skip", token: tokens[index])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var booked: [String: Int] = [:]
        for reply in replies {
            if reply.status == .created {
                for occurrence in try reply.series.occurrences where occurrence.status == "booked" { booked[occurrence.start, default: 0] += 1 }
            } else {
                #expect(reply.code == "insufficient_quantity", "\(reply.text)")
            }
        }
        // The eight Wednesdays the series fall on, 2026-10-07 to 2026-11-25, a day at a time (slots are read 31 days at most).
        var slots: [AvailabilityResponse.Period] = []
        for week in 0..<8 {
            let day = LocalDate("2026-10-07")!.adding(days: 7 * week)
            slots += try await servers[servers.count - 1].send(.GET, "/resources/\(id)/availability/?from=\(day)&to=\(day.adding(days: 1))")
                .availability.periods.filter { $0.start.hasSuffix("T09:00:00+00:00") }
        }
        #expect(slots.count == 8)
        for slot in slots {
            #expect(slot.bookedQuantity <= 3 && slot.heldQuantity == 0)
            #expect(slot.bookedQuantity == booked[slot.start, default: 0], "slot \(slot.start) agrees with the occurrences booked")
            #expect(slot.availableQuantity == 3 - slot.bookedQuantity)
        }
        #expect(slots.contains { $0.bookedQuantity == 3 }, "slots did fill: the race was real")
    }

    @Test("cancelling from the 6th occurrence, from several requests at once, gives exactly those back once", arguments: TestDatabase.allCases)
    func cancelFrom(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool, clock: ManualClock(Self.start)) { client in
            let admin = try await client.adminToken()
            let id = try await CapacityInTimeTests.dated(client, "Chalet", total: 1, schedule: CapacityInTimeTests.nights, admin: admin)
            let token = try await client.userToken("skier")
            let series = try await Self.series(client, id, start: "2026-10-10", end: "2026-10-11", rrule: "FREQ=WEEKLY;COUNT=10", token: token).series
            let nights = series.occurrences.map(\.start)
            let sixth = nights[5]
            let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
                for _ in 0..<4 { group.addTask { try await client.send(.DELETE, "/bookings/series/\(series.id)/?from=\(sixth)", token: token) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .ok })
            let after = try await client.send(.GET, "/bookings/series/\(series.id)/", token: token).series
            #expect(after.occurrences.map(\.status) == Array(repeating: "booked", count: 5) + Array(repeating: "cancelled", count: 5))
            let left = try await Self.available(client, id, from: "2026-10-10", to: "2026-12-13")
            for (index, night) in nights.enumerated() { #expect(left[night] == (index < 5 ? 0 : 1), "night \(night)") }
            let events = try await client.send(.GET, "/events/?resource=\(id)&limit=1000", token: admin).events
            #expect(events.filter { $0.type == "booking.cancelled" }.count == 5, "each occurrence cancelled once")
            #expect(events.filter { $0.type == "series.cancelled" }.count == 1, "only the cancel that cancelled something is an event")
            #expect(events.filter { $0.type == "booking.created" }.count == 10)
            let created = try #require(events.first { $0.type == "series.created" })
            #expect(created.details["series_id"] == .int(series.id) && created.quantity == 10)

            // One occurrence alone, then the rest of the series.
            let second = try #require(series.occurrences[1].booking)
            #expect(try await client.send(.DELETE, "/bookings/\(second)/", token: token).booking.series == series.id)
            let all = try await client.send(.DELETE, "/bookings/series/\(series.id)/", token: token).series
            #expect(all.occurrences.allSatisfy { $0.status == "cancelled" })
            #expect(try await Self.available(client, id, from: "2026-10-10", to: "2026-12-13").values.allSatisfy { $0 == 1 })
            // With nothing active left the resource may go, and its series with it.
            #expect(try await client.send(.DELETE, "/resources/\(id)/", token: admin).status == .noContent)
            #expect(try await client.send(.GET, "/bookings/series/\(series.id)/", token: token).code == "series_not_found")
        }
    }

    @Test("spring forward: an occurrence at a wall time the clocks skip is skipped (or fails the series) with invalid_period",
          arguments: TestDatabase.allCases)
    func springGap(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let id = try await CapacityInTimeTests.dated(client, "Night desk", total: 1,
                                                         schedule: ["kind": "slots", "time_zone": "Europe/Berlin", "slot_minutes": 30],
                                                         admin: try await client.adminToken())
            let token = try await client.userToken("owl")
            let failed = try await Self.series(client, id, start: "2027-03-26T02:30:00+01:00", rrule: "FREQ=DAILY;COUNT=4", token: token)
            #expect(failed.status == .badRequest && failed.code == "invalid_period", "\(failed.text)")
            #expect(failed.error?.occurrences?.map(\.start) == ["2027-03-28T02:30:00"])
            let series = try await Self.series(client, id, start: "2027-03-26T02:30:00+01:00", rrule: "FREQ=DAILY;COUNT=4", onConflict: "skip",
                                               token: token).series
            #expect(series.occurrences.map(\.start) == ["2027-03-26T02:30:00+01:00", "2027-03-27T02:30:00+01:00", "2027-03-28T02:30:00",
                                                        "2027-03-29T02:30:00+02:00"])
            #expect(series.occurrences.map(\.status) == ["booked", "booked", "skipped", "booked"])
            #expect(series.occurrences[2].code == .invalidPeriod)
        }
    }

    @Test("bad series are refused with a clear 4xx and book nothing", arguments: TestDatabase.allCases)
    func refusals(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let admin = try await client.adminToken()
            let id = try await CapacityInTimeTests.dated(client, "Hall", total: 5, schedule: Self.berlinDays, admin: admin, maxPerUser: 1)
            let pool = try await client.createResource("Pool", total: 5, adminToken: admin)
            let token = try await client.userToken("planner")
            let cases: [(reply: TestClient.Reply, status: HTTPStatus, code: String)] = [
                (try await Self.series(client, id, start: "2026-10-10", rrule: nil, token: token), .badRequest, "invalid_field"),
                (try await Self.series(client, id, start: "2026-10-10", rrule: "FREQ=HOURLY;COUNT=2", token: token), .badRequest, "invalid_field"),
                (try await Self.series(client, id, start: "2026-10-10", rrule: "FREQ=DAILY", token: token), .badRequest, "invalid_field"),
                (try await Self.series(client, id, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=2", onConflict: "maybe", token: token),
                 .badRequest, "invalid_field"),
                (try await Self.series(client, pool, rrule: "FREQ=DAILY;COUNT=2", token: token), .badRequest, "invalid_period"),
                (try await Self.series(client, pool, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=2", token: token), .badRequest, "invalid_period"),
                // Past the 365 days ahead a resource takes by default.
                (try await Self.series(client, id, start: "2026-10-10", rrule: "FREQ=MONTHLY;COUNT=13", token: token), .badRequest, "invalid_field"),
                // Three-day occurrences every other day would overlap.
                (try await Self.series(client, id, start: "2026-10-10", end: "2026-10-13", rrule: "FREQ=DAILY;INTERVAL=2;COUNT=3", token: token),
                 .badRequest, "invalid_field"),
                // max_per_user 1 holds for every occurrence.
                (try await Self.series(client, id, 2, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=3", token: token), .conflict, "per_user_limit"),
                (try await Self.series(client, 999_999, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=3", token: token), .notFound, "resource_not_found"),
            ]
            for (reply, status, code) in cases {
                #expect(reply.status == status && reply.code == code, "\(reply.text)")
            }
            #expect(try await Self.available(client, id, from: "2026-10-10", to: "2026-10-20").values.allSatisfy { $0 == 5 }, "nothing was taken")
            #expect(try await client.send(.GET, "/bookings/series/", token: token).seriesList.isEmpty)

            // Someone else's series is not found, to read and to cancel; an admin sees it.
            let series = try await Self.series(client, id, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=3", token: token).series
            let stranger = try await client.userToken("stranger")
            #expect(try await client.send(.GET, "/bookings/series/\(series.id)/", token: stranger).code == "series_not_found")
            #expect(try await client.send(.DELETE, "/bookings/series/\(series.id)/", token: stranger).code == "series_not_found")
            #expect(try await client.send(.GET, "/bookings/series/", token: admin).seriesList.map(\.id) == [series.id])
            #expect(try await client.send(.DELETE, "/bookings/series/\(series.id)/?from=tomorrow", token: token).code == "invalid_period")
        }
    }

    @Test("a retry under the same Idempotency-Key answers the same series and books nothing more; another body is refused",
          arguments: TestDatabase.allCases)
    func idempotency(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool, clock: ManualClock(Self.start)) { client in
            let id = try await CapacityInTimeTests.dated(client, "Room", total: 5, schedule: Self.berlinDays, admin: try await client.adminToken())
            let token = try await client.userToken("retrier")
            let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await Self.series(client, id, 2, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=5", token: token, key: "weekly-1")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let made = replies.filter { $0.status == .created }
            #expect(made.count >= 1 && replies.allSatisfy { $0.status == .created || $0.code == "idempotency_key_in_progress" })
            #expect(Set(try made.map { try $0.series.id }).count == 1)
            #expect(try await Self.available(client, id, from: "2026-10-10", to: "2026-10-15").values.allSatisfy { $0 == 3 })
            let replay = try await Self.series(client, id, 2, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=5", token: token, key: "weekly-1")
            #expect(replay.status == .created && replay.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try replay.series.id == (try made[0].series.id))
            let other = try await Self.series(client, id, 2, start: "2026-10-10", rrule: "FREQ=DAILY;COUNT=6", token: token, key: "weekly-1")
            #expect(other.status == .unprocessableEntity)
        }
    }
}
