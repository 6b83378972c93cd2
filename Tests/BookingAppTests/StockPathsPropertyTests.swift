import Foundation
import PropertyBased
import SQLKit
import Testing
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

/// The one-statement take and the batched take are specialisations of ``StockDecision``: on random
/// resources, histories and requests, the rule over the snapshot persistence loads, a batch of the
/// requests, and the requests one at a time (PostgreSQL's one statement wherever it applies) must come to
/// the same outcomes and leave the same stock, records and waiting list, on both databases.
@Suite("The decision's fast paths agree with it")
struct StockPathsPropertyTests {
    /// A random resource with a history of bookings, holds and waiting-list joins, and takes to decide.
    struct Scenario: CustomStringConvertible {
        let total: Int
        let limits: UserLimits
        let history: [Int]
        let takes: [Int]

        static let generator = zip(Gen.int(in: 1...8), Gen.int(in: 1...5).optional(valueRate: 0.3), Gen.int(in: 1...4).optional(valueRate: 0.3),
                                   Gen.int(in: 0...999).array(of: 0...6), Gen.int(in: 0...999).array(of: 1...8))
            .map { total, maxPerUser, maxPerBooking, history, takes in
                Scenario(total: total, limits: UserLimits(maxPerUser: maxPerUser, maxPerBooking: maxPerBooking), history: history, takes: takes)
            }

        var description: String { "total \(total) \(limits) history \(history) takes \(takes)" }

        /// The request an operation stands for: a booking, a hold, or (in a history) a waiting-list join.
        static func request(_ op: Int, users: [Int], until: Date, joins: Bool) -> StockRequest {
            let user = users[(op / 3) % users.count], quantity = (op / 9) % 4 + 1
            switch op % 3 {
            case 0: return .book(userID: user, quantity: quantity, span: .whole)
            case 1: return .hold(userID: user, quantity: quantity, until: until, span: .whole)
            default: return joins ? .join(userID: user, quantity: quantity) : .book(userID: user, quantity: quantity, span: .whole)
            }
        }
    }

    /// What a resource came to: its stock and waiting count, and every record that decides anything.
    struct State: Equatable {
        let stock: Stock
        let waiting: Int
        let bookings: [String]
        let holds: [String]
        let entries: [String]
        /// The events of its records (its creation aside, which names it): what, whose, how many, the stock after.
        let events: [String]
    }

    static func state(of resourceID: Int, in storage: SQLStorage) async throws -> State {
        let sql = storage.session.sql
        let resource = try #require(try await SQLResourceStore(session: storage.session).find(.id(resourceID), at: Date.distantPast))
        func rows(_ query: SQLQueryString) async throws -> [String] {
            try await sql.raw(query).all().map { row in
                try row.allColumns.map { column -> String in
                    if let number = try? row.decode(column: column, as: Int.self) { return String(number) }
                    return try row.decode(column: column, as: String.self)
                }.joined(separator: " ")
            }
        }
        // Records are compared by their place among the resource's, not their ids (each resource numbers its own).
        return State(
            stock: resource.stock, waiting: resource.waitingEntries,
            bookings: try await rows("""
                SELECT user_id, purchase_quantity, status FROM bookings WHERE resource_id = \(bind: resourceID) ORDER BY id
                """),
            holds: try await rows("SELECT user_id, quantity, status FROM holds WHERE resource_id = \(bind: resourceID) ORDER BY id"),
            entries: try await rows("""
                SELECT user_id, quantity, status, passed_units FROM waitlist_entries WHERE resource_id = \(bind: resourceID) ORDER BY id
                """),
            events: try await rows("""
                SELECT type, COALESCE(user_id, 0) AS user_id, COALESCE(quantity, 0) AS quantity, COALESCE(total, -1) AS total,
                       COALESCE(available, -1) AS available, COALESCE(held, -1) AS held, details
                FROM events WHERE resource_id = \(bind: resourceID) AND type <> 'resource.created' ORDER BY seq
                """))
    }

    @Test("the rule, a batch and the takes one at a time (one statement where it applies) agree", arguments: TestDatabase.allCases)
    func pathsAgree(db: TestDatabase) async throws {
        // No bound on units held, so that holds take PostgreSQL's one statement too where the rule allows.
        try await withBookingApp(db, configure: { $0.maxHeldPerUser = 0 }) { client in
            let storage = client.app.domain.storage
            var users: [Int] = []
            for name in ["ann", "bob", "cid"] { users.append(try await client.signUp(name).id) }
            let people = users
            let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded())
            let counter = Counter()
            await propertyCheck(count: 30, input: Scenario.generator) { scenario in
                do {
                    let inventory = SQLInventory(storage: storage)
                    var ids: [Int] = []
                    for _ in 0..<3 {
                        let name = "r\(counter.next())"
                        let added = try await inventory.add(name: name, description: "", stock: Stock(total: scenario.total, available: scenario.total),
                                                            limits: scenario.limits, schedule: nil, at: now, by: .system)
                        ids.append(try #require(added).id)
                    }
                    // The same history on each, through the rule.
                    for (index, op) in scenario.history.enumerated() {
                        let at = now.addingTimeInterval(Double(index))
                        let request = Scenario.request(op, users: people, until: at.addingTimeInterval(3600), joins: true)
                        for id in ids {
                            _ = try await storage.withTransaction { tx in
                                try await #require(try await LockedStock.lock(.id(id), at: at, in: tx)).decide([request])
                            }
                        }
                    }
                    let at = now.addingTimeInterval(100), resources = ids
                    let requests = scenario.takes.map { Scenario.request($0, users: people, until: at.addingTimeInterval(600), joins: false) }
                    let takes = requests.map { request -> TakeRequest in
                        switch request {
                        case .book(let userID, let quantity, _):
                            TakeRequest(kind: .booking, quantity: quantity, range: nil, userID: userID, now: at, completing: nil)
                        case .hold(let userID, let quantity, let until, _):
                            TakeRequest(kind: .hold(until: until), quantity: quantity, range: nil, userID: userID, now: at, completing: nil)
                        default:
                            preconditionFailure("only takes")
                        }
                    }

                    // The rule, over the snapshot its lock loads.
                    let ruled = try await storage.withTransaction { tx in
                        try await #require(try await LockedStock.lock(.id(resources[0]), at: at, in: tx)).decide(requests).plan.outcomes
                    }.map(Self.summary)
                    // A batch.
                    let batched = await SQLInventory.takeBatch(
                        takes.map { BatchedTake(request: $0, reference: .id(ids[1]), nameKey: nil, storage: storage) }, of: ids[1]).map(Self.summary)
                    // One at a time: alone, PostgreSQL's one statement when it applies.
                    var alone: [String] = []
                    for take in takes {
                        alone += await SQLInventory.takeBatch([BatchedTake(request: take, reference: .id(ids[2]), nameKey: nil, storage: storage)],
                                                              of: ids[2]).map(Self.summary)
                    }
                    #expect(batched == ruled, "\(scenario)")
                    #expect(alone == ruled, "\(scenario)")
                    let states = [try await Self.state(of: ids[0], in: storage), try await Self.state(of: ids[1], in: storage),
                                  try await Self.state(of: ids[2], in: storage)]
                    #expect(states[1] == states[0], "\(scenario)")
                    #expect(states[2] == states[0], "\(scenario)")
                } catch {
                    Issue.record(error, "\(scenario)")
                }
            }
        }
    }

    static func summary(_ outcome: Result<StockOutcome, AppError>) -> String {
        switch outcome {
        case .success(.booked): "booked"
        case .success(.held): "held"
        case .success(let other): "\(other)"
        case .failure(let error): "\(error)"
        }
    }

    static func summary(_ outcome: Result<Taken, any Error>) -> String {
        switch outcome {
        case .success(.booking): "booked"
        case .success(.hold): "held"
        case .failure(let error): "\(error)"
        }
    }
}

/// Numbers for unique names across property runs.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
