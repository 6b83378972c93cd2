import Foundation
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain

/// Capacity in time through the API, on both databases, with the clock held still: a dated resource's
/// units are taken in every period of a range or in none, never beyond any period's total, whatever
/// arrives at once, and given back once.
@Suite("Capacity in time")
struct CapacityInTimeTests {
    /// 2026-12-06 10:00 UTC: before every date the tests book.
    static let start = Date(timeIntervalSince1970: 1_796_551_200)

    static func dated(_ client: TestClient, _ name: String, total: Int, schedule: [String: Any], admin: String,
                      maxPerUser: Int? = nil) async throws -> Int {
        var body: [String: Any] = ["name": name, "total_quantity": total, "schedule": schedule]
        if let maxPerUser { body["max_per_user"] = maxPerUser }
        let reply = try await client.send(.POST, "/resources/", token: admin, json: body)
        #expect(reply.status == .created, "\(reply.text)")
        return try reply.resource.id
    }

    static var nights: [String: Any] { ["kind": "nightly", "time_zone": "Europe/Berlin"] }

    static func book(_ client: TestClient, _ id: Int, _ quantity: Int, _ start: String, _ end: String? = nil, token: String) async throws
        -> TestClient.Reply {
        var body: [String: Any] = ["resource": id, "purchase_quantity": quantity, "start": start]
        if let end { body["end"] = end }
        return try await client.send(.POST, "/bookings/", token: token, json: body)
    }

    /// Each period's (start, available, held, booked) from `from` up to `to`.
    static func periods(_ client: TestClient, _ id: Int, from: String, to: String) async throws -> [(String, Int, Int, Int)] {
        let reply = try await client.send(.GET, "/resources/\(id)/availability/?from=\(from)&to=\(to)")
        #expect(reply.status == .ok, "\(reply.text)")
        return try reply.availability.periods.map { ($0.start, $0.availableQuantity, $0.heldQuantity, $0.bookedQuantity) }
    }

    @Test("50 overlapping 3-night bookings at once on 5 rooms a night: no night past 5, each counted exactly", arguments: TestDatabase.allCases)
    func overlappingNights(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: Self.racing, clock: ManualClock(Self.start)) { client in
            try await Self.overlappingNightsRace([client])
        }
    }

    @Test("the same race spread over three servers on one PostgreSQL", .requiresPostgres)
    func overlappingNightsOnReplicas() async throws {
        try await withPostgresReplicas(3, configure: Self.racing, clock: ManualClock(Self.start)) { replicas in
            try await Self.overlappingNightsRace(replicas)
        }
    }

    static func racing(_ config: inout AppConfig) {
        patientPool(&config)
        config.userWritesPerMinute = 1000
    }

    /// Overlapping ranges booked at once through `servers` (in turn): every night's stock agrees with the
    /// bookings that were made, and none is past its total.
    static func overlappingNightsRace(_ servers: [TestClient]) async throws {
        let id = try await Self.dated(servers[0], "Rooms", total: 5, schedule: Self.nights, admin: try await servers[0].adminToken())
        let tokens = try await (0..<5).asyncMap { try await servers[$0 % servers.count].userToken("guest\($0)") }
        // Check-ins on the 10th to the 14th: every range overlaps others, some fully, some by a night or two.
        let checkIns = (0..<50).map { 10 + $0 % 5 }
        let replies = try await withThrowingTaskGroup(of: (Int, TestClient.Reply).self) { group in
            for (index, day) in checkIns.enumerated() {
                let server = servers[index % servers.count]
                group.addTask {
                    (day, try await Self.book(server, id, 1, "2026-12-\(day)", "2026-12-\(day + 3)", token: tokens[index % tokens.count]))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var booked = [Int: Int]()
        for (day, reply) in replies {
            if reply.status == .created {
                let booking = try reply.booking
                #expect((booking.start, booking.end) == ("2026-12-\(day)", "2026-12-\(day + 3)"))
                for night in day..<day + 3 { booked[night, default: 0] += 1 }
            } else {
                #expect(reply.code == "insufficient_quantity", "\(reply.text)")
                #expect(reply.error?.periods?.isEmpty == false, "a refusal names its short nights")
            }
        }
        let nights = try await Self.periods(servers[servers.count - 1], id, from: "2026-12-10", to: "2026-12-17")
        for (start, available, held, bookedUnits) in nights {
            let night = Int(start.suffix(2))!
            #expect(bookedUnits <= 5 && held == 0)
            #expect(bookedUnits == booked[night, default: 0], "night \(start): the stock agrees with the bookings made")
            #expect(available == 5 - bookedUnits)
        }
        #expect(booked.values.contains(5), "the rooms did fill: the race was real")
    }

    @Test("a range is all or nothing: one short night refuses it, names that night, and takes nothing", arguments: TestDatabase.allCases)
    func allOrNothing(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let id = try await Self.dated(client, "Cabins", total: 2, schedule: Self.nights, admin: try await client.adminToken())
            let token = try await client.userToken("hiker")
            #expect(try await Self.book(client, id, 2, "2026-12-11", "2026-12-12", token: token).status == .created)
            let refused = try await Self.book(client, id, 1, "2026-12-10", "2026-12-13", token: token)
            #expect(refused.status == .badRequest)
            #expect(refused.code == "insufficient_quantity")
            #expect(refused.error?.periods == [.init(start: "2026-12-11", end: "2026-12-12", availableQuantity: 0)])
            #expect(try await Self.periods(client, id, from: "2026-12-10", to: "2026-12-13").map(\.1) == [2, 0, 2])
        }
    }

    @Test("cancelling, at once from many requests, gives every night back exactly once", arguments: TestDatabase.allCases)
    func cancelOnce(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: patientPool, clock: ManualClock(Self.start)) { client in
            let id = try await Self.dated(client, "Yurts", total: 4, schedule: Self.nights, admin: try await client.adminToken())
            let token = try await client.userToken("camper")
            let booking = try await Self.book(client, id, 3, "2026-12-20", "2026-12-23", token: token).booking
            #expect(try await Self.periods(client, id, from: "2026-12-19", to: "2026-12-24").map(\.1) == [4, 1, 1, 1, 4])
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<8 { group.addTask { try await client.send(.DELETE, "/bookings/\(booking.id)/", token: token).status } }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            #expect(try await Self.periods(client, id, from: "2026-12-19", to: "2026-12-24").map(\.1) == [4, 4, 4, 4, 4])
        }
    }

    @Test("slots across daylight saving: 23 and 25 hourly slots; 02:30 on the spring morning does not exist; the repeated hour is two slots",
          arguments: TestDatabase.allCases)
    func slotsAcrossDaylightSaving(db: TestDatabase) async throws {
        // 2026-03-01: both changes of 2026 lie within the horizon.
        try await withBookingApp(db, clock: ManualClock(Date(timeIntervalSince1970: 1_772_323_200))) { client in
            let admin = try await client.adminToken()
            let id = try await Self.dated(client, "Court", total: 1, schedule: ["kind": "slots", "time_zone": "Europe/Berlin", "slot_minutes": 60],
                                          admin: admin)
            #expect(try await Self.periods(client, id, from: "2026-03-29", to: "2026-03-30").count == 23)
            #expect(try await Self.periods(client, id, from: "2026-10-25", to: "2026-10-26").count == 25)
            let york = try await Self.dated(client, "Studio", total: 1, schedule: ["kind": "slots", "time_zone": "America/New_York", "slot_minutes": 60],
                                            admin: admin)
            #expect(try await Self.periods(client, york, from: "2026-03-08", to: "2026-03-09").count == 23)
            #expect(try await Self.periods(client, york, from: "2026-11-01", to: "2026-11-02").count == 25)
            // A day across the change is one period, 23 hours long: one booking of it is one day.
            let days = try await Self.dated(client, "Bikes", total: 1, schedule: ["kind": "daily", "time_zone": "America/New_York"], admin: admin)
            let token0 = try await client.userToken("rider")
            let acrossChange = try await Self.book(client, days, 1, "2026-03-07", "2026-03-10", token: token0)
            #expect(acrossChange.status == .created)
            #expect(try await Self.periods(client, days, from: "2026-03-07", to: "2026-03-10").map(\.3) == [1, 1, 1])
            let token = try await client.userToken("player")
            let gap = try await Self.book(client, id, 1, "2026-03-29T02:30:00+01:00", token: token)
            #expect(gap.status == .badRequest)
            #expect(gap.code == "invalid_period")
            let first = try await Self.book(client, id, 1, "2026-10-25T02:00:00+02:00", token: token)
            let second = try await Self.book(client, id, 1, "2026-10-25T02:00:00+01:00", token: token)
            #expect(first.status == .created && second.status == .created, "\(first.text) \(second.text)")
            #expect(try first.booking.end == "2026-10-25T02:00:00+01:00", "the first 02:00 ends when the second begins")
            #expect(try second.booking.end == "2026-10-25T03:00:00+01:00")
            let full = try await Self.book(client, id, 1, "2026-10-25T02:00:00+01:00", token: token)
            #expect(full.code == "insufficient_quantity", "each of the two slots holds one")
            // The same instant with another offset than the zone's there is refused, not read as some other local hour.
            let utc = try await Self.book(client, id, 1, "2026-10-25T01:00:00Z", token: token)
            #expect(utc.code == "invalid_period")
        }
    }

    @Test("a hold takes units in each night; its lapse gives them back to every read at once; confirming books the same nights",
          arguments: TestDatabase.allCases)
    func holdsInTime(db: TestDatabase) async throws {
        let clock = ManualClock(Self.start)
        try await withBookingApp(db, clock: clock) { client in
            let id = try await Self.dated(client, "Lodge", total: 2, schedule: Self.nights, admin: try await client.adminToken())
            let token = try await client.userToken("traveller")
            let held = try await client.send(.POST, "/holds/", token: token,
                                             json: ["resource": id, "quantity": 2, "start": "2026-12-24", "end": "2026-12-26", "ttl_seconds": 60])
            #expect(held.status == .created, "\(held.text)")
            #expect(try (held.hold.start, held.hold.end) == ("2026-12-24", "2026-12-26"))
            #expect(try await Self.periods(client, id, from: "2026-12-24", to: "2026-12-26").map { [$0.1, $0.2] } == [[0, 2], [0, 2]])
            clock.advance(by: 60)
            #expect(try await Self.periods(client, id, from: "2026-12-24", to: "2026-12-26").map { [$0.1, $0.2] } == [[2, 0], [2, 0]],
                    "a lapsed hold's units are available to every read, reclaimed or not")
            let again = try await client.send(.POST, "/holds/", token: token,
                                              json: ["resource": id, "quantity": 1, "start": "2026-12-25", "end": "2026-12-27"])
            let confirmed = try await client.send(.POST, "/holds/\(try again.hold.id)/confirm", token: token)
            #expect(confirmed.status == .created, "\(confirmed.text)")
            #expect(try (confirmed.booking.start, confirmed.booking.end) == ("2026-12-25", "2026-12-27"))
            #expect(try await Self.periods(client, id, from: "2026-12-24", to: "2026-12-28").map { [$0.1, $0.2, $0.3] }
                    == [[2, 0, 0], [1, 0, 1], [1, 0, 1], [2, 0, 0]])
            // The feed says which nights each change was for, with the stock of the fullest of them.
            let events = try await client.send(.GET, "/events/?limit=1000", token: try await client.adminToken()).events
            let ranged = events.filter { ["hold.created", "hold.expired", "hold.confirmed"].contains($0.type) }
            #expect(ranged.map(\.type) == ["hold.created", "hold.expired", "hold.created", "hold.confirmed"])
            #expect(ranged.map { [$0.details["start"], $0.details["end"]] } == [
                [.string("2026-12-24"), .string("2026-12-26")], [.string("2026-12-24"), .string("2026-12-26")],
                [.string("2026-12-25"), .string("2026-12-27")], [.string("2026-12-25"), .string("2026-12-27")],
            ])
            #expect(ranged.map { $0.stock?.available } == [0, 2, 1, 1])
            // And every night it changed, with that night's stock after it.
            let nights = ranged[3].details["periods"]
            #expect(nights == .objects([
                ["start": .string("2026-12-25"), "end": .string("2026-12-26"), "total": .int(2), "available": .int(1), "held": .int(0)],
                ["start": .string("2026-12-26"), "end": .string("2026-12-27"), "total": .int(2), "available": .int(1), "held": .int(0)],
            ]))
        }
    }

    @Test("bad ranges are 400 invalid_period and take nothing; a pool takes no range and keeps its answers", arguments: TestDatabase.allCases)
    func invalidPeriods(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let admin = try await client.adminToken()
            let days = try await Self.dated(client, "Kayaks", total: 6, schedule: ["kind": "daily", "time_zone": "America/New_York", "horizon_days": 30],
                                            admin: admin)
            let pool = try await client.createResource("Paddles", total: 3, adminToken: admin)
            let token = try await client.userToken("paddler")
            for (start, end) in [("2026-12-10", "2026-12-10"), ("2026-12-01", nil), ("2027-02-01", nil), ("2026-12-10T09:00:00-05:00", nil),
                                 ("tomorrow", nil), ("2026-12-10", "2026-12-12T00:00:00-05:00")] as [(String, String?)] {
                let reply = try await Self.book(client, days, 1, start, end, token: token)
                #expect(reply.status == .badRequest && reply.code == "invalid_period", "\(start) \(end ?? "-"): \(reply.text)")
            }
            let missing = try await client.book(days, quantity: 1, token: token)
            #expect(missing.code == "invalid_period")
            let onPool = try await Self.book(client, pool, 1, "2026-12-10", token: token)
            #expect(onPool.code == "invalid_period")
            #expect(try await client.stock(pool) == (3, 0, 3))
            #expect(try await Self.periods(client, days, from: "2026-12-06", to: "2027-01-05").allSatisfy { $0.1 == 6 }, "nothing was taken")
            // A day's booking defaults to one day; across the change of offset in New York a day is still one period.
            let one = try await Self.book(client, days, 2, "2026-12-10", token: token)
            #expect(try (one.booking.start, one.booking.end) == ("2026-12-10", "2026-12-11"))
            // The listing keeps the seed's shape: a dated resource's stock there is its capacity per period.
            #expect(try await client.stock(days) == (6, 0, 6))
            #expect(try await client.resource(days).schedule?.timeZone == "America/New_York")
            let joined = try await client.send(.POST, "/resources/\(days)/waitlist/", token: token, json: ["quantity": 1])
            #expect(joined.status == .badRequest && joined.code == "invalid_period", "a dated resource's entry waits for a range")
            let pooled = try await client.book(pool, quantity: 1, token: token)
            #expect(try (pooled.booking.start, pooled.booking.end) == (nil, nil))
        }
    }

    @Test("max_per_user counts a user's units in each period; a new total moves every period; a schedule changes only while nothing is taken",
          arguments: TestDatabase.allCases)
    func limitsAndChanges(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let admin = try await client.adminToken()
            let id = try await Self.dated(client, "Bikes", total: 5, schedule: ["kind": "daily", "time_zone": "UTC"], admin: admin, maxPerUser: 2)
            let token = try await client.userToken("cyclist")
            #expect(try await Self.book(client, id, 2, "2026-12-10", "2026-12-12", token: token).status == .created)
            // Other days are free for them: the limit is per day.
            #expect(try await Self.book(client, id, 2, "2026-12-12", "2026-12-14", token: token).status == .created)
            let over = try await Self.book(client, id, 1, "2026-12-11", "2026-12-13", token: token)
            #expect(over.status == .conflict && over.code == "per_user_limit", "\(over.text)")

            let shrink = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 1])
            #expect(shrink.status == .conflict && shrink.code == "quantity_below_booked")
            let grow = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 7])
            #expect(grow.status == .ok, "\(grow.text)")
            #expect(try await Self.periods(client, id, from: "2026-12-09", to: "2026-12-11").map { [$0.1, $0.3] } == [[7, 0], [5, 2]])
            let reschedule = try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["schedule": Self.nights])
            #expect(reschedule.status == .conflict && reschedule.code == "resource_has_active_bookings")
        }
    }

    @Test("a date's own capacity: 0 closes it, a size below what is taken is refused, a new total leaves it alone, DELETE restores",
          arguments: TestDatabase.allCases)
    func calendar(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let admin = try await client.adminToken()
            let id = try await Self.dated(client, "Boats", total: 4, schedule: ["kind": "daily", "time_zone": "Europe/Berlin"], admin: admin)
            let token = try await client.userToken("sailor")
            #expect(try await Self.book(client, id, 2, "2026-12-26", token: token).status == .created)

            let closed = try await client.send(.PUT, "/resources/\(id)/calendar/2026-12-25", token: admin, json: ["total_quantity": 0])
            #expect(closed.status == .ok, "\(closed.text)")
            let through = try await Self.book(client, id, 1, "2026-12-24", "2026-12-27", token: token)
            #expect(through.status == .badRequest && through.code == "invalid_period", "\(through.text)")
            let below = try await client.send(.PUT, "/resources/\(id)/calendar/2026-12-26", token: admin, json: ["total_quantity": 1])
            #expect(below.status == .conflict && below.code == "quantity_below_booked")
            #expect(try await client.send(.PUT, "/resources/\(id)/calendar/2026-12-26", token: admin, json: ["total_quantity": 3]).status == .ok)
            #expect(try await client.send(.PATCH, "/resources/\(id)/", token: admin, json: ["total_quantity": 6]).status == .ok)
            let days = try await client.send(.GET, "/resources/\(id)/availability/?from=2026-12-24&to=2026-12-28").availability.periods
            #expect(days.map { [$0.totalQuantity, $0.availableQuantity] } == [[6, 6], [0, 0], [3, 1], [6, 6]])
            let listed = try await client.send(.GET, "/resources/\(id)/calendar/?from=2026-12-01&to=2027-01-01").decode([CalendarDay].self)
            #expect(listed.map { "\($0.date)=\($0.totalQuantity)" } == ["2026-12-25=0", "2026-12-26=3"])
            #expect(try await client.send(.DELETE, "/resources/\(id)/calendar/2026-12-26", token: admin).status == .noContent)
            let after = try await client.send(.GET, "/resources/\(id)/availability/?from=2026-12-26&to=2026-12-27").availability.periods
            #expect(after.map { [$0.totalQuantity, $0.availableQuantity] } == [[6, 4]])
            #expect(try await client.send(.PUT, "/resources/\(id)/calendar/someday", token: admin, json: ["total_quantity": 1]).code == "invalid_field")
            #expect(try await client.send(.PUT, "/resources/\(id)/calendar/2026-12-25", token: token, json: ["total_quantity": 1]).status == .forbidden)
        }
    }

    @Test("waiting lists per range: an entry is offered when every night of its range has room; one overtaken by its quantity keeps those nights",
          arguments: TestDatabase.allCases)
    func waitingForARange(db: TestDatabase) async throws {
        try await withBookingApp(db, clock: ManualClock(Self.start)) { client in
            let id = try await Self.dated(client, "Huts", total: 2, schedule: Self.nights, admin: try await client.adminToken())
            let (ann, ben, cat, dan) = (try await client.userToken("ann"), try await client.userToken("ben"), try await client.userToken("cat"),
                                        try await client.userToken("dan"))
            let annBooking = try await Self.book(client, id, 2, "2026-12-10", "2026-12-12", token: ann).booking
            let join = { (token: String, start: String, end: String) in
                try await client.send(.POST, "/resources/\(id)/waitlist/", token: token, json: ["quantity": 1, "start": start, "end": end])
            }
            let benEntry = try await join(ben, "2026-12-11", "2026-12-13").entry
            #expect(benEntry.status == "waiting" && benEntry.start == "2026-12-11" && benEntry.end == "2026-12-13")
            // Cat's nights are free: offered at once, passing Ben (who waits for one of them) by one unit: his quantity.
            let catEntry = try await join(cat, "2026-12-12", "2026-12-13").entry
            #expect(catEntry.status == "offered", "\(catEntry)")
            // The night left on the 12th is kept for Ben now; the 13th is not his.
            let kept = try await Self.book(client, id, 1, "2026-12-12", "2026-12-13", token: dan)
            #expect(kept.status == .conflict && kept.code == "reserved_for_waitlist", "\(kept.text)")
            #expect(try await Self.book(client, id, 1, "2026-12-13", "2026-12-14", token: dan).status == .created)
            // Ann's nights come back: every night of Ben's range has room, and he is offered it, as a hold of those nights.
            #expect(try await client.send(.DELETE, "/bookings/\(annBooking.id)/", token: ann).status == .ok)
            let offered = try await client.send(.GET, "/waitlist/\(benEntry.id)/", token: ben).entry
            #expect(offered.status == "offered")
            let offer = try await client.send(.GET, "/holds/\(try #require(offered.hold))/", token: ben).hold
            #expect((offer.start, offer.end, offer.quantity) == ("2026-12-11", "2026-12-13", 1))
            #expect(try await Self.periods(client, id, from: "2026-12-10", to: "2026-12-14").map { [$0.1, $0.2, $0.3] }
                    == [[2, 0, 0], [1, 1, 0], [0, 2, 0], [1, 0, 1]])
        }
    }

    @Test("a search finds the dated resources with units left in every period of a range, each read in its own zone and schedule",
          arguments: TestDatabase.allCases)
    func searchAcrossResources(db: TestDatabase) async throws {
        let clock = ManualClock(Self.start)
        try await withBookingApp(db, clock: clock) { client in
            let admin = try await client.adminToken()
            let kayaks = try await Self.dated(client, "Kayaks", total: 3, schedule: ["kind": "daily", "time_zone": "Pacific/Auckland"], admin: admin)
            let huts = try await Self.dated(client, "Huts", total: 2, schedule: Self.nights, admin: admin)
            let court = try await Self.dated(client, "Court", total: 1, schedule: ["kind": "slots", "time_zone": "Europe/Berlin", "slot_minutes": 60],
                                             admin: admin)
            _ = try await client.createResource("Paddles", total: 9, adminToken: admin)
            let token = try await client.userToken("finder")
            #expect(try await Self.book(client, huts, 2, "2026-12-11", "2026-12-12", token: token).status == .created)
            let held = try await client.send(.POST, "/holds/", token: token,
                                             json: ["resource": kayaks, "quantity": 3, "start": "2026-12-12", "ttl_seconds": 60])
            #expect(held.status == .created)

            func found(_ query: String) async throws -> [String] {
                let reply = try await client.send(.GET, "/availability/?\(query)")
                #expect(reply.status == .ok, "\(reply.text)")
                return try reply.decode([AvailableResourceResponse].self).map { "\($0.resource.name)=\($0.availableQuantity)" }
            }
            #expect(try await found("start=2026-12-10&end=2026-12-13") == [], "the kayaks are held on the 12th, the huts full on the 11th")
            #expect(try await found("start=2026-12-12&end=2026-12-14") == ["Huts=2"])
            #expect(try await found("start=2026-12-10") == ["Kayaks=3"], "a night needs its check-out date; a day's end defaults to the next")
            #expect(try await found("start=2026-12-10&end=2026-12-11") == ["Kayaks=3", "Huts=2"])
            #expect(try await found("start=2026-12-10&end=2026-12-11&quantity=3") == ["Kayaks=3"])
            #expect(try await found("start=2026-12-10&end=2026-12-11&search=HUT") == ["Huts=2"])
            #expect(try await found("start=2026-12-10&end=2026-12-11&limit=1&offset=1") == ["Huts=2"])
            #expect(try await found("start=2026-12-10T09:00:00%2B01:00&end=2026-12-10T11:00:00%2B01:00") == ["Court=1"])
            #expect(try await found("start=2026-12-10T09:30:00%2B01:00") == [], "not a slot of the court")
            clock.advance(by: 60)
            #expect(try await found("start=2026-12-10&end=2026-12-13") == ["Kayaks=3"], "a lapsed hold's units are found at once")
            let bad = try await client.send(.GET, "/availability/?start=2026-12-13&end=2026-12-10")
            #expect(bad.status == .badRequest && bad.code == "invalid_period")
            #expect(try await client.send(.GET, "/availability/").code == "invalid_field")
            #expect(try await client.send(.GET, "/availability/?start=2026-12-10&offset=10001").code == "invalid_field")
            #expect(try await client.resource(court).schedule?.kind == "slots")
        }
    }

    @Test("PostgreSQL writes the availability of days and nights exactly as the DTOs do: live and lapsed holds, dates closed or resized, a quantity")
    func availabilityWrittenByTheDatabase() async throws {
        let clock = ManualClock(Self.start)
        try await withBookingApp(.postgres, clock: clock) { client in
            let admin = try await client.adminToken()
            let id = try await Self.dated(client, "Lodges", total: 4, schedule: Self.nights, admin: admin)
            let token = try await client.userToken("walker")
            #expect(try await Self.book(client, id, 2, "2026-12-10", "2026-12-13", token: token).status == .created)
            for (start, end, ttl) in [("2026-12-11", "2026-12-12", 60), ("2026-12-12", "2026-12-15", 600)] {
                let held = try await client.send(.POST, "/holds/", token: token,
                                                 json: ["resource": id, "quantity": 1, "start": start, "end": end, "ttl_seconds": ttl])
                #expect(held.status == .created)
            }
            #expect(try await client.send(.PUT, "/resources/\(id)/calendar/2026-12-16", token: admin, json: ["total_quantity": 0]).status == .ok)
            #expect(try await client.send(.PUT, "/resources/\(id)/calendar/2026-12-17", token: admin, json: ["total_quantity": 7]).status == .ok)
            clock.advance(by: 120)
            let resources = client.app.domain.resources
            for quantity in [nil, 2] as [Int?] {
                let (resource, periods) = try await resources.availability(id: id, from: "2026-12-08", to: "2026-12-20", quantity: quantity)
                let fromDTOs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(AvailabilityResponse(
                    resource: resource.id, timeZone: "Europe/Berlin", periods: periods.map(AvailabilityResponse.Period.init)))) as? NSDictionary
                guard case .json(let written) = try await resources.availabilityAnswer(id: id, from: "2026-12-08", to: "2026-12-20", quantity: quantity) else {
                    Issue.record("PostgreSQL wrote no JSON")
                    return
                }
                #expect(try JSONSerialization.jsonObject(with: Data(written.utf8)) as? NSDictionary == fromDTOs, "quantity \(quantity ?? 0)")
                let served = try await client.send(.GET, "/resources/\(id)/availability/?from=2026-12-08&to=2026-12-20\(quantity.map { "&quantity=\($0)" } ?? "")")
                #expect(try JSONSerialization.jsonObject(with: Data(buffer: served.body)) as? NSDictionary == fromDTOs)
                #expect(periods.count == (quantity == nil ? 12 : 10), "two nights have fewer than 2 left")
            }
            let (_, all) = try await resources.availability(id: id, from: "2026-12-10", to: "2026-12-18", quantity: nil)
            #expect(all.map { [$0.stock.total, $0.stock.available, $0.stock.held] }
                    == [[4, 2, 0], [4, 2, 0], [4, 1, 1], [4, 3, 1], [4, 3, 1], [4, 4, 0], [0, 0, 0], [7, 7, 0]],
                    "the lapsed hold of the 11th is back; the live one holds the 12th to the 14th")
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
