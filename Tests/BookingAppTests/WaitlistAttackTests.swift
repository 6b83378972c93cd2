import Foundation
import SQLKit
import Testing
import Vapor
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// The waiting list, the bound on units held and the write limit, tried the way an attacker would: with
/// their own bookings and cancellations, with several accounts, and with requests sent all at once.
@Suite("Hostile clients: waiting lists, holding and write floods")
struct WaitlistAttackTests {
    @Test("one account cannot take a resource off sale by booking and cancelling past its own entry", arguments: TestDatabase.allCases)
    func ownTakesDoNotPass(db: TestDatabase) async throws {
        try await withBookingApp(db) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Festival", total: 10, adminToken: admin)
            let (someone, attacker, buyer) = (try await client.userToken("someone"), try await client.userToken("mallory"),
                                              try await client.userToken("buyer"))
            #expect(try await client.book(id, quantity: 5, token: someone).status == .created)
            // The report's five requests: join for 10, then book 5, cancel, book 5, cancel.
            #expect(try await client.join(id, quantity: 10, token: attacker).json["status"] as? String == "waiting")
            for _ in 0..<2 {
                let booked = try await client.book(id, quantity: 5, token: attacker)
                #expect(booked.status == .created)
                let bookingID = try #require(booked.json["id"] as? Int)
                #expect(try await client.send(.DELETE, "/bookings/\(bookingID)/", token: attacker).status == .ok)
            }
            // Everyone else still buys.
            let sale = try await client.book(id, quantity: 1, token: buyer)
            #expect(sale.status == .created, "\(sale.text)")
            let passed = try await (client.app.db as! any SQLDatabase).raw("SELECT passed_units FROM waitlist_entries").first()?
                .decode(column: "passed_units", as: Int.self)
            #expect(passed == 1, "only the buyer's unit passed the entry")
        }
    }

    @Test("an entry asks for no more than its user could hold: MAX_HELD_PER_USER without max_per_user, max_per_user with it",
          arguments: TestDatabase.allCases)
    func entryBound(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: { $0.maxHeldPerUser = 4 }) { client in
            let admin = try await client.adminToken()
            let (open, _, _) = try await client.soldOut("Open", total: 20, admin: admin)
            let token = try await client.userToken("asker")
            let tooMany = try await client.join(open, quantity: 5, token: token)
            #expect(tooMany.status == .conflict)
            #expect(tooMany.code == "per_user_hold_limit")
            #expect(try await client.join(open, quantity: 4, token: token).status == .created)
            let limited = try await client.createResource("Limited", total: 20, adminToken: admin)
            #expect(try await client.send(.PATCH, "/resources/\(limited)/", token: admin, json: ["max_per_user": 6]).status == .ok)
            #expect(try await client.join(limited, quantity: 7, token: token).code == "per_user_limit")
            #expect(try await client.join(limited, quantity: 6, token: token).status == .created, "max_per_user replaces the default")
        }
    }

    @Test("without max_per_user one user holds at most MAX_HELD_PER_USER units, however many holds arrive at once", arguments: TestDatabase.allCases)
    func holdCapAtOnce(db: TestDatabase) async throws {
        try await withBookingApp(db, configure: { patientPool(&$0); $0.maxHeldPerUser = 10 }) { client in
            let id = try await client.createResource("Seats", total: 100, adminToken: try await client.adminToken())
            let token = try await client.userToken("hoarder")
            let statuses = try await withThrowingTaskGroup(of: (UInt, String?).self) { group in
                for _ in 0..<30 { group.addTask { let reply = try await client.hold(id, quantity: 1, token: token); return (reply.status.code, reply.code) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 201 }.count == 10, "\(statuses)")
            #expect(statuses.filter { $0.1 == "per_user_hold_limit" }.count == 20)
            #expect(try await client.stock(id) == (90, 10, 100))
            // Bookings are not holding: the same user may still book.
            #expect(try await client.book(id, quantity: 15, token: token).status == .created)
            // Another user has a bound of their own.
            #expect(try await client.hold(id, quantity: 10, token: try await client.userToken("other")).status == .created)
        }
    }

    @Test("USER_WRITES_PER_MINUTE holds for requests sent at once: exactly the limit gets through, the rest 429 with Retry-After; admins are not counted; the next minute is new",
          arguments: TestDatabase.allCases)
    func writeLimitAtOnce(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withBookingApp(db, configure: { patientPool(&$0); $0.userWritesPerMinute = 20 }, clock: clock) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Stalls", total: 1000, adminToken: admin)
            let token = try await client.userToken("flooder")
            let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
                for index in 0..<60 {
                    group.addTask {
                        switch index % 3 {
                        case 0: try await client.book(id, quantity: 1, token: token)
                        case 1: try await client.hold(id, quantity: 1, token: token)
                        default: try await client.book(id, quantity: 2, token: token)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let limited = replies.filter { $0.code == "too_many_writes" }
            #expect(replies.count - limited.count == 20, "\(replies.map(\.status.code))")
            #expect(limited.allSatisfy { $0.status == .tooManyRequests && Int($0.headers.first(name: .retryAfter) ?? "") != nil })
            #expect(try await client.send(.GET, "/bookings/", token: token).jsonArray.count + (try await client.send(.GET, "/holds/", token: token).jsonArray.count)
                    == 20, "nothing was done for a refused request")
            #expect(try await client.book(id, quantity: 1, token: admin).status == .created, "admins are not counted")
            clock.advance(by: 60)
            #expect(try await client.book(id, quantity: 1, token: token).status == .created, "a new minute")
        }
    }

    @Test("USER_WRITES_PER_MINUTE is one limit across three servers", .requiresPostgres)
    func writeLimitAcrossReplicas() async throws {
        // The clock stands still: all 45 fall in one minute's window however long they take here.
        let clock = ManualClock()
        try await withPostgresReplicas(3, configure: { patientPool(&$0); $0.userWritesPerMinute = 15 }, clock: clock) { replicas in
            let id = try await replicas[0].createResource("Spread", total: 1000, adminToken: try await replicas[0].adminToken())
            let token = try await replicas[0].userToken("spreader")
            let codes = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<45 { group.addTask { try await replicas[index % 3].book(id, quantity: 1, token: token).code } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(codes.filter { $0 == nil }.count == 15, "\(codes)")
            #expect(codes.filter { $0 == "too_many_writes" }.count == 30)
        }
    }

    /// A random attack: `attackers` accounts joining, leaving, booking, cancelling, holding, releasing and
    /// declining on one resource, with honest users booking and cancelling around them; after every step,
    /// no barrier keeps `c` or more free units (it would have had its offer), every entry's passed units
    /// come from other users only, and no user holds more than `c`.
    func attack(seed: UInt64, attackers: Int, steps: Int, db: TestDatabase) async throws {
        let cap = 4, total = 8
        try await withBookingApp(db, configure: { $0.maxHeldPerUser = cap; $0.userWritesPerMinute = 0 }) { client in
            let admin = try await client.adminToken()
            let id = try await client.createResource("Target", total: total, adminToken: admin)
            var generator = SeededGenerator(seed: seed)
            var tokens: [String] = []
            for index in 0..<attackers { tokens.append(try await client.userToken("attacker\(index)")) }
            let honest = [try await client.userToken("honest0"), try await client.userToken("honest1")]
            let sql = client.app.db as! any SQLDatabase
            var barrierSteps = 0, refusals = 0
            for _ in 0..<steps {
                let isAttacker = Bool.random(using: &generator)
                let token = isAttacker ? tokens.randomElement(using: &generator)! : honest.randomElement(using: &generator)!
                let quantity = Int.random(in: 1...(isAttacker ? cap : 2), using: &generator)
                // Attackers: join 25 %, leave 10, decline 10, hold 15, release 10, book 15, cancel 15. The honest
                // book three times in four and cancel otherwise, keeping the resource close to sold out.
                let roll = Int.random(in: 0..<100, using: &generator)
                let action = isAttacker ? [(25, 0), (35, 1), (45, 2), (60, 3), (70, 4), (85, 6), (100, 5)].first { roll < $0.0 }!.1
                    : (roll < 75 ? 6 : 5)
                switch action {
                case 0: _ = try await client.join(id, quantity: quantity, token: token)
                case 1:
                    if let entry = try await client.send(.GET, "/waitlist/?status=open", token: token).jsonArray.first?["id"] as? Int {
                        _ = try await client.send(.DELETE, "/waitlist/\(entry)/", token: token)
                    }
                case 2:
                    if let entry = try await client.send(.GET, "/waitlist/?status=offered", token: token).jsonArray.first?["id"] as? Int {
                        _ = try await client.send(.POST, "/waitlist/\(entry)/decline", token: token)
                    }
                case 3: _ = try await client.hold(id, quantity: quantity, token: token)
                case 4:
                    if let hold = try await client.send(.GET, "/holds/?status=held", token: token).jsonArray.first?["id"] as? Int {
                        _ = try await client.send(.DELETE, "/holds/\(hold)/", token: token)
                    }
                case 5:
                    if let booking = try await client.send(.GET, "/bookings/", token: token).jsonArray.randomElement(using: &generator)?["id"] as? Int {
                        _ = try await client.send(.DELETE, "/bookings/\(booking)/", token: token)
                    }
                default:
                    let available = try await client.stock(id).available
                    let reply = try await client.book(id, quantity: quantity, token: token)
                    if reply.code == "reserved_for_waitlist" {
                        refusals += 1
                        #expect(available < cap, "\(available) free units kept for the list")
                    }
                }
                // The invariants, from the database. A barrier whose user could not hold its units now (the bound
                // on units held) is passed over and keeps nothing; every other one has fewer units free than it wants.
                let barriers = try await sql.raw("""
                    SELECT e.quantity, r.available_quantity FROM waitlist_entries e JOIN resources r ON r.id = e.resource_id
                    WHERE e.status = 'waiting' AND e.passed_units >= e.quantity
                      AND e.quantity + COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.user_id = e.user_id AND h.status = 'held'), 0) <= \(bind: cap)
                    """).all().map { (try $0.decode(column: "quantity", as: Int.self), try $0.decode(column: "available_quantity", as: Int.self)) }
                for (quantity, available) in barriers { #expect(available < quantity, "a barrier of \(quantity) with \(available) free") }
                if !barriers.isEmpty { barrierSteps += 1 }
                let holders = try await sql.raw("""
                    SELECT user_id, SUM(quantity) AS held FROM holds WHERE status = 'held' GROUP BY user_id
                    """).all().map { try $0.decode(column: "held", as: Int.self) }
                #expect(holders.allSatisfy { $0 <= cap }, "\(holders)")
            }
            // Not vacuous: with several accounts the attack did build barriers that turned the honest away.
            if attackers > 1 { #expect(barrierSteps > 0 && refusals > 0, "seed \(seed): \(barrierSteps) steps with a barrier, \(refusals) refusals") }
        }
    }

    @Test("random attacks by one and by three accounts: free units kept for the list stay below one entry's most (c), nobody holds more than c",
          arguments: [(UInt64(1), 1), (UInt64(1), 3), (UInt64(3), 3), (UInt64(5), 3), (UInt64(3), 2)])
    func randomAttacks(seed: UInt64, attackers: Int) async throws {
        try await attack(seed: seed, attackers: attackers, steps: 150, db: .sqlite)
    }

    @Test("one account alone, whatever it does, never moves its own entry toward a barrier")
    func oneAccountAlone() async throws {
        try await withBookingApp(.sqlite, configure: { $0.maxHeldPerUser = 4; $0.userWritesPerMinute = 0 }) { client in
            let id = try await client.createResource("Solo", total: 6, adminToken: try await client.adminToken())
            let token = try await client.userToken("solo")
            var generator = SeededGenerator(seed: 7)
            #expect(try await client.book(id, quantity: 6, token: try await client.userToken("owner")).status == .created)
            _ = try await client.join(id, quantity: 4, token: token)
            for _ in 0..<100 {
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: _ = try await client.book(id, quantity: Int.random(in: 1...3, using: &generator), token: token)
                case 1:
                    if let booking = try await client.send(.GET, "/bookings/", token: token).jsonArray.first?["id"] as? Int {
                        _ = try await client.send(.DELETE, "/bookings/\(booking)/", token: token)
                    }
                case 2: _ = try await client.hold(id, quantity: Int.random(in: 1...2, using: &generator), token: token)
                default:
                    if let hold = try await client.send(.GET, "/holds/?status=held", token: token).jsonArray.first?["id"] as? Int {
                        _ = try await client.send(.DELETE, "/holds/\(hold)/", token: token)
                    }
                }
            }
            let passed = try await (client.app.db as! any SQLDatabase).raw("SELECT COALESCE(MAX(passed_units), 0) AS n FROM waitlist_entries")
                .first()?.decode(column: "n", as: Int.self)
            #expect(passed == 0)
        }
    }
}

/// A small deterministic generator (SplitMix64), so a random attack can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
